using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// An eval-mode BatchNorm2d (state-dict names <c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>,
/// <c>num_batches_tracked</c>, as torchvision's) whose affine map can be folded into the convolution before it
/// (<see cref="FoldInto"/>). Once folded it passes its input through as an alias: no pass over the activation
/// forward or backward. Classifier weights are frozen, so the fold is exact up to float32 rounding.
/// </summary>
internal sealed class FoldableBatchNorm2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly Tensor num_batches_tracked;
    private readonly double _eps;

    public FoldableBatchNorm2d(long channels, double eps = 1e-5) : base(nameof(FoldableBatchNorm2d))
    {
        _eps = eps;
        weight = new Parameter(ones(channels), requires_grad: false);
        bias = new Parameter(zeros(channels), requires_grad: false);
        running_mean = zeros(channels);
        running_var = ones(channels);
        num_batches_tracked = zeros(1, dtype: ScalarType.Int64);
        RegisterComponents();
    }

    /// <summary>True once the affine map lives in the convolution.</summary>
    public bool Folded { get; private set; }

    /// <summary>Moves this normalisation into <paramref name="conv"/> (weights scaled per output channel, bias shifted).</summary>
    public void FoldInto(PaddedConv2d conv)
    {
        if (Folded) throw new InvalidOperationException("BatchNorm already folded");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var scale = weight / (running_var + _eps).sqrt();            // [C]
        var shift = bias - running_mean * scale;                     // [C]
        conv.Absorb(scale, shift);
        Folded = true;
    }

    /// <summary>
    /// For forwards that hold their own intermediates: <paramref name="x"/> itself once folded (no view, so an in-place
    /// activation after it stays a plain in-place op for autograd), else the normalised tensor.
    /// </summary>
    public Tensor Apply(Tensor x) => Folded ? x : forward(x);

    /// <summary>Inside a <c>Sequential</c> (which disposes each intermediate handle) a folded BatchNorm returns an alias.</summary>
    public override Tensor forward(Tensor x) => Folded
        ? x.alias()
        : nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training: false, eps: _eps);
}
