using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>HF <c>CLIPEncoderLayer</c>: pre-LN residual blocks, x + attn(ln1(x)), then x + mlp(ln2(x)).</summary>
internal sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly ClipAttention self_attn;
    private readonly LayerNorm layer_norm1, layer_norm2;
    private readonly ClipMlp mlp;

    public ClipEncoderLayer(int hidden, int intermediate, int heads, string act, double eps, bool causal) : base("CLIPEncoderLayer")
    {
        self_attn = new ClipAttention(hidden, heads, causal);
        layer_norm1 = nn.LayerNorm(hidden, eps);
        mlp = new ClipMlp(hidden, intermediate, act);
        layer_norm2 = nn.LayerNorm(hidden, eps);
        register_module("self_attn", self_attn);
        register_module("layer_norm1", layer_norm1);
        register_module("mlp", mlp);
        register_module("layer_norm2", layer_norm2);
    }

    /// <summary>[B, T, D] → [B, T, D].</summary>
    public override Tensor forward(Tensor x)
    {
        var h = x + self_attn.forward(layer_norm1.forward(x));
        return h + mlp.forward(layer_norm2.forward(h));
    }
}
