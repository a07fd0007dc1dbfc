using TorchSharp.Modules;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Models.Opt;

/// <summary>One OPT block: attention then feed-forward (<c>fc2(act(fc1 x))</c>), each pre-LN or post-LN per <c>do_layer_norm_before</c>.</summary>
internal sealed class OptDecoderLayer : nn.Module
{
    private readonly OptAttention self_attn;
    private readonly LayerNorm self_attn_layer_norm, final_layer_norm;
    private readonly Linear fc1, fc2;
    private readonly bool _preLn;
    private readonly string _act;

    public OptDecoderLayer(OptConfig c) : base(nameof(OptDecoderLayer))
    {
        self_attn = new OptAttention(c);
        self_attn_layer_norm = nn.LayerNorm(c.HiddenSize, OptConfig.LayerNormEps, elementwise_affine: c.LayerNormAffine);
        fc1 = nn.Linear(c.HiddenSize, c.FfnDim, hasBias: c.EnableBias);
        fc2 = nn.Linear(c.FfnDim, c.HiddenSize, hasBias: c.EnableBias);
        final_layer_norm = nn.LayerNorm(c.HiddenSize, OptConfig.LayerNormEps, elementwise_affine: c.LayerNormAffine);
        _preLn = c.DoLayerNormBefore; _act = c.Activation;
        RegisterComponents();
    }

    /// <summary>See <see cref="OptAttention.Forward"/>.</summary>
    public (Tensor Hidden, Tensor Key, Tensor Value) Forward(Tensor x, Tensor? pastKey, Tensor? pastValue, Tensor? pastAllowed, Tensor newAllowed)
    {
        using var scope = NewDisposeScope();
        var (a, k, v) = self_attn.Forward(_preLn ? self_attn_layer_norm.forward(x) : x, pastKey, pastValue, pastAllowed, newAllowed);
        var h = x + a;
        if (!_preLn) h = self_attn_layer_norm.forward(h);
        var f = fc2.forward(ClipActivation.Apply(_act, fc1.forward(_preLn ? final_layer_norm.forward(h) : h)));
        var y = h + f;
        if (!_preLn) y = final_layer_norm.forward(y);
        return (y.MoveToOuterDisposeScope(), k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }
}
