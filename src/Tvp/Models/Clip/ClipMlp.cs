using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>HF <c>CLIPMLP</c>: fc1 → activation → fc2.</summary>
internal sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2;
    private readonly string _act;

    public ClipMlp(int hidden, int intermediate, string act) : base("CLIPMLP")
    {
        _act = act;
        fc1 = nn.Linear(hidden, intermediate);
        fc2 = nn.Linear(intermediate, hidden);
        register_module("fc1", fc1);
        register_module("fc2", fc2);
    }

    /// <summary>[B, T, D] → [B, T, D].</summary>
    public override Tensor forward(Tensor x) => fc2.forward(ClipActivation.Apply(_act, fc1.forward(x)));
}
