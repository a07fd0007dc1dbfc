using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>HF <c>CLIPEncoder</c>: the stack <c>layers.N</c>.</summary>
internal sealed class ClipEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(int layerCount, int hidden, int intermediate, int heads, string act, double eps, bool causal) : base("CLIPEncoder")
    {
        layers = nn.ModuleList<ClipEncoderLayer>();
        for (int i = 0; i < layerCount; i++) layers.Add(new ClipEncoderLayer(hidden, intermediate, heads, act, eps, causal));
        register_module("layers", layers);
    }

    /// <summary>Runs every layer: [B, T, D] → [B, T, D].</summary>
    public override Tensor forward(Tensor x)
    {
        foreach (var layer in layers) x = layer.forward(x);
        return x;
    }

    /// <summary>The encoder input followed by the output of each layer (HF <c>output_hidden_states</c>).</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor x)
    {
        var states = new List<Tensor> { x };
        foreach (var layer in layers) { x = layer.forward(x); states.Add(x); }
        return states;
    }
}
