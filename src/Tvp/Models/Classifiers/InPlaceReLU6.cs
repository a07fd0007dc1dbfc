using TorchSharp;
using static TorchSharp.torch;

namespace Tvp.Models.Classifiers;

/// <summary>
/// ReLU6 computed in place on its input (torchvision's <c>ReLU6(inplace=True)</c>: saves one activation-sized
/// allocation and pass per layer; autograd's hardtanh backward uses the output, so in place is exact). Returns a new
/// handle to the same storage, because TorchSharp's <c>Sequential</c> disposes each intermediate handle.
/// </summary>
internal sealed class InPlaceReLU6 : nn.Module<Tensor, Tensor>
{
    public InPlaceReLU6() : base(nameof(InPlaceReLU6)) { }

    public override Tensor forward(Tensor x) => nn.functional.relu6(x, inplace: true).alias();
}
