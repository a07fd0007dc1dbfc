using static TorchSharp.torch;

namespace Tvp.Models.Clip;

/// <summary>The MLP activations CLIP checkpoints name in <c>hidden_act</c>.</summary>
internal static class ClipActivation
{
    private static readonly string[] Known = { "quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu" };

    /// <summary>Throws when <paramref name="name"/> is not a supported activation.</summary>
    public static void Check(string name, string where)
    {
        if (!Known.Contains(name))
            throw new InvalidDataException($"{where}: hidden_act '{name}' is not supported (known: {string.Join(", ", Known)})");
    }

    /// <summary>Applies the activation.</summary>
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "quick_gelu" => x * sigmoid(1.702 * x),
        "gelu" => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => 0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3)))),
        "relu" => nn.functional.relu(x),
        _ => throw new InvalidDataException($"hidden_act '{name}' is not supported"),
    };
}
