using TorchSharp.Modules;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>BLIP-2 vision MLP: <c>fc2(act(fc1 x))</c>.</summary>
internal sealed class Blip2Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2;
    private readonly string _act;

    public Blip2Mlp(Blip2VisionConfig c) : base(nameof(Blip2Mlp))
    {
        fc1 = nn.Linear(c.HiddenSize, c.IntermediateSize);
        fc2 = nn.Linear(c.IntermediateSize, c.HiddenSize);
        _act = c.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(ClipActivation.Apply(_act, fc1.forward(x))).MoveToOuterDisposeScope();
    }
}
