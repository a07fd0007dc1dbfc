using System.Text.Json.Serialization;

namespace Tvp.Prompts;

/// <summary>Training-time augmentation of the image pipeline (<c>--augment</c>); evaluation always uses the centre crop.</summary>
public enum Augmentation
{
    /// <summary>The paper's: resize to 9/8 of the inner size, random inner crop, horizontal flip with p = 0.5.</summary>
    [JsonStringEnumMemberName("crop-flip")] CropFlip,
    /// <summary>Evaluation's resize and centre crop, horizontal flip with p = 0.5 (two views per image).</summary>
    [JsonStringEnumMemberName("flip")] Flip,
    /// <summary>Evaluation's resize and centre crop (one view per image: clean features are computed once and cached).</summary>
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>Where a canvas's inner image came from: its crop offset in the resized image and whether it was flipped.</summary>
/// <param name="Resized">Shorter side after the resize (differs between training and evaluation).</param>
/// <param name="Top">Crop row offset.</param>
/// <param name="Left">Crop column offset.</param>
/// <param name="Flipped">Horizontally flipped.</param>
public readonly record struct CanvasView(int Resized, int Top, int Left, bool Flipped);
