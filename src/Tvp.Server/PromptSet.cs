using Tvp.Prompts;

namespace Tvp.Server;

/// <summary>
/// The prompts a server puts on images: one per model name (<c>--prompt MODEL=FILE</c>) and an optional default
/// (<c>--prompt FILE</c>) for every other model. Loaded once at start; shared read-only by all requests.
/// </summary>
public sealed class PromptSet : IDisposable
{
    private readonly Dictionary<string, PromptApplier> _byModel;

    /// <summary>The prompt for models without their own, if any.</summary>
    public PromptApplier? Default { get; }

    private PromptSet(PromptApplier? fallback, Dictionary<string, PromptApplier> byModel) { Default = fallback; _byModel = byModel; }

    /// <summary>An empty set (images pass unchanged).</summary>
    public static PromptSet None { get; } = new(null, new Dictionary<string, PromptApplier>(StringComparer.Ordinal));

    /// <summary>Loads the prompt files of <paramref name="specs"/> (<c>FILE</c> or <c>MODEL=FILE</c>).</summary>
    /// <exception cref="ArgumentException">Two defaults, a model named twice, or a file missing (names <c>--prompt</c>).</exception>
    public static PromptSet Load(IEnumerable<PromptSpec> specs)
    {
        var byModel = new Dictionary<string, PromptApplier>(StringComparer.Ordinal);
        PromptApplier? fallback = null;
        try
        {
            foreach (var s in specs)
            {
                if (!File.Exists(s.File)) throw new ArgumentException($"--prompt {s}: file not found: {s.File}");
                if (s.Model is null)
                {
                    if (fallback is not null) throw new ArgumentException($"--prompt {s}: only one prompt may apply to all models (use MODEL=FILE)");
                    fallback = PromptApplier.Load(s.File);
                }
                else
                {
                    if (byModel.ContainsKey(s.Model)) throw new ArgumentException($"--prompt {s}: model '{s.Model}' already has a prompt");
                    byModel[s.Model] = PromptApplier.Load(s.File);
                }
            }
        }
        catch
        {
            fallback?.Dispose();
            foreach (var p in byModel.Values) p.Dispose();
            throw;
        }
        return new PromptSet(fallback, byModel);
    }

    /// <summary>The prompt for <paramref name="model"/>: its own, else the default, else null (images pass unchanged).</summary>
    public PromptApplier? For(string? model) => model is not null && _byModel.TryGetValue(model, out var p) ? p : Default;

    /// <summary>Model names with their own prompt.</summary>
    public IEnumerable<string> Models => _byModel.Keys.Order(StringComparer.Ordinal);

    /// <inheritdoc/>
    public void Dispose()
    {
        Default?.Dispose();
        foreach (var p in _byModel.Values) p.Dispose();
    }
}

/// <summary>One <c>--prompt</c> value: a prompt file, for one model or (Model null) for all.</summary>
/// <param name="Model">The model name the prompt is for; null for every model.</param>
/// <param name="File">The prompt file (prompt.safetensors).</param>
public sealed record PromptSpec(string? Model, string File)
{
    /// <summary>Parses <c>FILE</c> or <c>MODEL=FILE</c>; a value that is an existing file is a FILE even when it holds '='.</summary>
    public static PromptSpec Parse(string text)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0 || System.IO.File.Exists(text)) return new PromptSpec(null, text);
        return new PromptSpec(text[..eq], text[(eq + 1)..]);
    }

    /// <inheritdoc/>
    public override string ToString() => Model is null ? File : $"{Model}={File}";
}
