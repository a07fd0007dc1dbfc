using TorchSharp;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// The zoo's non-sharing model: <see cref="SmallCnn"/> trained from scratch. The prompted canvas is resized to
/// 32×32 and normalised to [-1,1]; ImageFeatures = its penultimate layer. Not an <see cref="IEncoderFeatures"/>:
/// it has no shared encoder.
/// </summary>
internal sealed class ZooCnnPromptable : ZooPromptable
{
    private readonly SmallCnn _network;
    private readonly Device _device;

    /// <summary>Wraps a trained network (the model takes ownership of it).</summary>
    public ZooCnnPromptable(string name, SmallCnn network, IReadOnlyList<string> labels, Device device)
        : base(InputOf(name), labels)
    {
        _device = device;
        _network = network;
        _network.to(device);
        _network.eval();
        foreach (var p in _network.parameters()) p.requires_grad = false;
    }

    /// <summary>The model's input description: 32 px, bilinear, mean/std 0.5.</summary>
    internal static ModelInfo InputOf(string name) =>
        new(name, "zoo", SmallCnn.InputSize, ModelInfo.HalfMeanStd, ModelInfo.HalfMeanStd, "bilinear");

    /// <inheritdoc />
    public override Device Device => _device;

    internal override (Tensor Logits, Tensor Connector) Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var x = ModelInput.Prepare(pixels.to(_device), Info);                      // [B, 3, 32, 32]
        var (logits, features) = _network.Forward(x);
        return (logits.MoveToOuterDisposeScope(), features.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public override void Dispose() => _network.Dispose();
}
