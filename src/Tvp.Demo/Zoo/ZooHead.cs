using TorchSharp;
using static TorchSharp.torch;
using Tvp.Models;
using Tvp.Experiments;

namespace Tvp.Demo.Zoo;

/// <summary>
/// A head on top of the shared encoder's spatial map: logits over the task's classes and its connector output
/// (what FCA compares with <c>--fca-features connector</c>). Input features are standardised per channel with the
/// training set's statistics (fixed buffers), as a frozen-encoder probe usually is.
/// </summary>
internal abstract class ZooHead : nn.Module
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

    /// <summary>The head's kind: linear, mlp, attention or prototype.</summary>
    public string Kind { get; }

    /// <summary>Creates a head with identity standardisation (set by <see cref="SetStandardisation"/> before training).</summary>
    protected ZooHead(string kind, int channels) : base($"zoo-{kind}")
    {
        Kind = kind;
        _mean = zeros(channels);
        _std = ones(channels);
        register_buffer("feature_mean", _mean);
        register_buffer("feature_std", _std);
    }

    /// <summary>Sets the per-channel mean and standard deviation of the encoder's pooled training features.</summary>
    public void SetStandardisation(Tensor mean, Tensor std)
    {
        using var _ = no_grad();
        _mean.copy_(mean);
        _std.copy_(std.clamp_min(1e-6));
    }

    /// <summary>The standardised spatial map [B,C,h,w].</summary>
    protected Tensor Standardise(Tensor spatial) => (spatial - _mean.view(1, -1, 1, 1)) / _std.view(1, -1, 1, 1);

    /// <summary>Logits [B,K] and connector output [B,D] of a spatial map [B,C,h,w].</summary>
    public abstract (Tensor Logits, Tensor Connector) Forward(Tensor spatial);

    /// <summary>Creates an untrained head of <paramref name="kind"/>.</summary>
    public static ZooHead Create(string kind, int channels, int classes) => kind switch
    {
        "linear" => new LinearProbeHead(channels, classes),
        "mlp" => new MlpHead(channels, classes),
        "attention" => new AttentionPoolingHead(channels, classes),
        "prototype" => new PrototypeHead(channels, classes),
        _ => throw new ArgumentException($"unknown zoo head '{kind}' (linear, mlp, attention, prototype)"),
    };

    /// <summary>The shared-encoder head kinds, in zoo order.</summary>
    public static IReadOnlyList<string> Kinds { get; } = new[] { "linear", "mlp", "attention", "prototype" };
}
