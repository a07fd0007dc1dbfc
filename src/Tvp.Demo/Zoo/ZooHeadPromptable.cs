using TorchSharp;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// A shared-encoder zoo model: the frozen ResNet-18 (<see cref="SharedEncoder"/>) plus its own
/// trained head. ImageFeatures = the head's connector output; EncoderFeatures = the shared encoder's pooled
/// output (what <c>--fca-features encoder</c> compares). The head is frozen too: only the prompt learns.
/// </summary>
internal sealed class ZooHeadPromptable : ZooPromptable, IEncoderFeatures
{
    private readonly SharedEncoders _encoders;
    private readonly SharedEncoder _encoder;
    private readonly ZooHead _head;

    /// <summary>Wraps a head around the encoder of <paramref name="resolution"/> on <paramref name="device"/> taken from <paramref name="encoders"/> (the model takes ownership of the head).</summary>
    public ZooHeadPromptable(string name, ZooHead head, int resolution, IReadOnlyList<string> labels, Device device, SharedEncoders encoders)
        : base(Describe(name, resolution), labels)
    {
        _encoders = encoders;
        _encoder = encoders.Acquire(resolution, device);
        _head = head;
        _head.to(device);
        _head.eval();
        foreach (var p in _head.parameters()) p.requires_grad = false;
    }

    private static ModelInfo Describe(string name, int resolution)
    {
        var e = SharedEncoder.DescribeInput(resolution);
        return e with { Name = name };
    }

    /// <summary>The shared encoder (tests check the memo through it).</summary>
    internal SharedEncoder Encoder => _encoder;

    /// <summary>The head.</summary>
    internal ZooHead Head => _head;

    /// <inheritdoc />
    public override Device Device => _encoder.Device;

    internal override (Tensor Logits, Tensor Connector) Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var spatial = _encoder.Spatial(pixels);                                    // [B, 512, h, w]
        var (logits, connector) = _head.Forward(spatial);
        return (logits.MoveToOuterDisposeScope(), connector.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public Tensor EncoderFeatures(Tensor pixels) => _encoder.Pooled(pixels);

    /// <inheritdoc />
    public override void Dispose()
    {
        _head.Dispose();
        _encoders.Release(_encoder);
    }
}
