using static TorchSharp.torch;

namespace Tvp.Models.Llama;

/// <summary>One pre-norm decoder block: <c>x + attn(norm(x))</c>, then <c>x + mlp(norm(x))</c>.</summary>
internal sealed class LlamaDecoderLayer : nn.Module
{
    private readonly RmsNorm input_layernorm, post_attention_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;

    public LlamaDecoderLayer(LlamaConfig c) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        self_attn = new LlamaAttention(c);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        mlp = new LlamaMlp(c);
        RegisterComponents();
    }

    /// <summary>See <see cref="LlamaAttention.Forward"/> for the shapes.</summary>
    public (Tensor Hidden, Tensor Key, Tensor Value) Forward(Tensor x, Tensor cos, Tensor sin,
        Tensor? pastKey, Tensor? pastValue, Tensor? pastAllowed, Tensor newAllowed)
    {
        using var scope = NewDisposeScope();
        var (a, k, v) = self_attn.Forward(input_layernorm.forward(x), cos, sin, pastKey, pastValue, pastAllowed, newAllowed);
        var h = x + a;
        var y = h + mlp.forward(post_attention_layernorm.forward(h));
        return (y.MoveToOuterDisposeScope(), k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope());
    }
}
