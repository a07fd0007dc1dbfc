using Tvp.Demo.Zoo;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Guides;

/// <summary>
/// The offline guide used as a zero-shot classifier (as CLIP is): logits = logit scale · cos(image, class text),
/// class texts prompt-ensembled over the training templates. Lets the guide be scored like any model.
/// </summary>
internal sealed class OfflineZeroShotPromptable : ZooPromptable
{
    private readonly OfflineGuide _guide;
    private readonly Tensor _classes;

    /// <summary>Wraps <paramref name="guide"/> (not owned) for <paramref name="classes"/>.</summary>
    public OfflineZeroShotPromptable(OfflineGuide guide, IReadOnlyList<string> classes, string name = "guide-zero-shot")
        : base(SharedEncoder.DescribeInput(guide.Resolution) with { Name = name }, classes)
    {
        _guide = guide;
        _classes = guide.ClassEmbeddings(classes, OfflineGuideTraining.Templates).DetachFromDisposeScope(); // [K, W]
    }

    /// <inheritdoc />
    public override Device Device => _guide.Device;

    internal override (Tensor Logits, Tensor Connector) Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var img = _guide.EncodeImage(pixels);                                           // [B, W]
        var logits = img.matmul(_classes.t()) * Math.Min(_guide.LogitScale, 100.0);     // [B, K]
        return (logits.MoveToOuterDisposeScope(), img.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public override void Dispose() => _classes.Dispose();
}
