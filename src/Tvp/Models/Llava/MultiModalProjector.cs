using TorchSharp.Modules;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Models.Llava;

/// <summary>LLaVA's <c>multi_modal_projector</c>: <c>linear_2(act(linear_1(x)))</c>, vision width → text width.</summary>
internal sealed class MultiModalProjector : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_1, linear_2;
    private readonly string _act;

    public MultiModalProjector(int visionHidden, int textHidden, string act, bool bias) : base(nameof(MultiModalProjector))
    {
        linear_1 = nn.Linear(visionHidden, textHidden, hasBias: bias);
        linear_2 = nn.Linear(textHidden, textHidden, hasBias: bias);
        _act = act;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return linear_2.forward(ClipActivation.Apply(_act, linear_1.forward(x))).MoveToOuterDisposeScope();
    }
}
