using static TorchSharp.torch;

namespace Tvp.Models.Opt;

/// <summary>HF <c>OPTModel</c>: a shell whose only child is <c>decoder</c>.</summary>
internal sealed class OptModel : nn.Module
{
    private readonly OptDecoder decoder;

    public OptModel(OptConfig c) : base(nameof(OptModel))
    {
        decoder = new OptDecoder(c);
        RegisterComponents();
    }

    /// <summary>The decoder stack.</summary>
    public OptDecoder Decoder => decoder;
}
