using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Models.Classifiers;

/// <summary>
/// A classifier's JSON model card as the cards' converter writes it: the keys tvp reads (others, such as
/// <c>format_note</c> or the architecture's prose, are ignored), absent or null when not given.
/// </summary>
/// <param name="Name">name.</param>
/// <param name="Family">family: a description line whose start names the architecture.</param>
/// <param name="Architecture">architecture.</param>
/// <param name="Input">input: size and pixel normalisation.</param>
/// <param name="NumClasses">num_classes.</param>
/// <param name="Weights">weights: file, bytes, sha256.</param>
/// <param name="PaddingConvention">padding_convention.</param>
/// <param name="ClassListFile">class_list_file (relative to the card).</param>
/// <param name="ClassOrder">class_order (when there is no label file).</param>
/// <param name="Accuracy">accuracy.</param>
/// <param name="Checks">checks: a list of notes, or an object (<see cref="ChecksJson"/>).</param>
internal sealed record ModelCardJson(string? Name, string? Family, ModelCardJson.ArchitectureJson? Architecture,
    ModelCardJson.InputJson? Input, int? NumClasses, ModelCardJson.WeightsJson? Weights, string? PaddingConvention,
    string? ClassListFile, IReadOnlyList<string>? ClassOrder, ModelCardJson.AccuracyJson? Accuracy, JsonElement? Checks)
{
    /// <summary><c>architecture</c>: the fields of every supported family (each reads its own).</summary>
    /// <param name="Type">type: cifar-resnet, mobilenet-v1, mobilenet-v2 (else the family line decides).</param>
    /// <param name="Depth">depth (CIFAR ResNet).</param>
    /// <param name="BlocksPerStage">blocks_per_stage (CIFAR ResNet).</param>
    /// <param name="StageChannels">stage_channels (CIFAR ResNet).</param>
    /// <param name="StageStrides">stage_strides (CIFAR ResNet).</param>
    /// <param name="WidthMultiplier">width_multiplier (MobileNets).</param>
    /// <param name="InvertedResidualSetting">inverted_residual_setting_t_c_n_s rows (MobileNetV2).</param>
    public sealed record ArchitectureJson(string? Type, int? Depth, int? BlocksPerStage, int[]? StageChannels, int[]? StageStrides,
        double? WidthMultiplier,
        [property: JsonPropertyName("inverted_residual_setting_t_c_n_s")] int[][]? InvertedResidualSetting);

    /// <summary><c>input</c>.</summary>
    /// <param name="Size">size [H, W].</param>
    /// <param name="PixelNormalisation">pixel_normalisation.</param>
    public sealed record InputJson(int[]? Size, NormalisationJson? PixelNormalisation);

    /// <summary><c>input.pixel_normalisation</c>: per-channel mean and std.</summary>
    /// <param name="Mean">mean.</param>
    /// <param name="Std">std.</param>
    public sealed record NormalisationJson(double[]? Mean, double[]? Std);

    /// <summary><c>weights</c>.</summary>
    /// <param name="File">file (relative to the card).</param>
    /// <param name="Bytes">bytes: the file's size.</param>
    /// <param name="Sha256">sha256: the file's hash.</param>
    public sealed record WeightsJson(string? File, long? Bytes, string? Sha256);

    /// <summary><c>accuracy</c>.</summary>
    /// <param name="Measured">measured: an object (<see cref="MeasuredJson"/>) on the CIFAR cards, a prose note on others.</param>
    public sealed record AccuracyJson(JsonElement? Measured);

    /// <summary><c>accuracy.measured</c>.</summary>
    /// <param name="Cifar10TestTop1Percent">shared_data_cifar10_test_top1_percent.</param>
    public sealed record MeasuredJson([property: JsonPropertyName("shared_data_cifar10_test_top1_percent")] double? Cifar10TestTop1Percent);

    /// <summary><c>checks</c> as an object.</summary>
    /// <param name="SampleImages">sample_images: how the samples were prepared.</param>
    /// <param name="Top5PerImage">top5_per_image: image file → "label (p) [#index]" lines, best first.</param>
    public sealed record ChecksJson(string? SampleImages, Dictionary<string, string[]>? Top5PerImage);

    /// <summary>Just what tells the architecture (for probing files that may not be cards at all).</summary>
    /// <param name="Family">family.</param>
    /// <param name="Architecture">architecture (its type).</param>
    public sealed record KindJson(string? Family, TypeJson? Architecture);

    /// <summary><c>architecture.type</c> alone.</summary>
    /// <param name="Type">type.</param>
    public sealed record TypeJson(string? Type);
}
