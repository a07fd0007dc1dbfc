using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>LLaMA RMSNorm: <c>w * x / sqrt(mean(x^2) + eps)</c> (no bias, no mean subtraction).</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    public RmsNorm(int size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var variance = x.pow(2).mean(new long[] { -1 }, keepdim: true);
        return (weight * (x * rsqrt(variance + _eps))).MoveToOuterDisposeScope();
    }
}
