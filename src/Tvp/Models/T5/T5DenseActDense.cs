using TorchSharp.Modules;
using Tvp.Models.Clip;
using static TorchSharp.torch;

namespace Tvp.Models.T5;

/// <summary>T5's feed-forward <c>DenseReluDense</c>: gated <c>wo(act(wi_0 x) * wi_1 x)</c> or plain <c>wo(act(wi x))</c>.</summary>
internal sealed class T5DenseActDense : nn.Module<Tensor, Tensor>
{
    private readonly Linear? wi, wi_0, wi_1;
    private readonly Linear wo;
    private readonly string _act;

    public T5DenseActDense(T5Config c) : base(nameof(T5DenseActDense))
    {
        if (c.IsGatedAct)
        {
            wi_0 = nn.Linear(c.DModel, c.DFf, hasBias: false);
            wi_1 = nn.Linear(c.DModel, c.DFf, hasBias: false);
        }
        else wi = nn.Linear(c.DModel, c.DFf, hasBias: false);
        wo = nn.Linear(c.DFf, c.DModel, hasBias: false);
        _act = c.DenseAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = wi is not null ? ClipActivation.Apply(_act, wi.forward(x))
            : ClipActivation.Apply(_act, wi_0!.forward(x)) * wi_1!.forward(x);
        return wo.forward(h).MoveToOuterDisposeScope();
    }
}
