using System.CommandLine;
using Tvp.IO;

namespace Tvp.Cli;

/// <summary>
/// The flags of every model-taking command that say how checkpoints are loaded (<see cref="ModelLoadOptions"/>):
/// <c>--dtype</c> and <c>--allow-unused-weights</c>.
/// </summary>
internal sealed class ModelLoadFlags
{
    public Option<string> DType { get; } = new("--dtype")
    {
        Description = "Weight dtype: auto (the checkpoint's torch_dtype, else its stored dtype) | bf16 | fp16 | fp32. Prompt, losses and updates stay float32.",
        DefaultValueFactory = _ => "auto",
    };
    public Option<bool> AllowUnusedWeights { get; } = new("--allow-unused-weights")
    {
        Description = "Load checkpoints that hold tensors the model does not use (an error by default: it usually means a wrong config).",
    };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(DType);
        cmd.Options.Add(AllowUnusedWeights);
    }

    /// <summary>The options the flags give (<c>--dtype</c> checked here, so a bad value fails before any loading).</summary>
    public ModelLoadOptions Bind(ParseResult r) => new(
        WeightDTypes.Parse(r.GetValue(DType) ?? "auto"),
        r.GetValue(AllowUnusedWeights));

    /// <summary>Makes the flags' options current for the command's body.</summary>
    public IDisposable Use(ParseResult r) => ModelLoadOptions.Use(Bind(r));
}
