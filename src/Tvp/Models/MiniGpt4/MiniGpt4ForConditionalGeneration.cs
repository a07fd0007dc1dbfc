using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using Tvp.IO;
using Tvp.IO.Json;
using Tvp.Models.Blip2;
using Tvp.Models.Llama;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.MiniGpt4;

/// <summary>
/// MiniGPT-4: BLIP-2's <c>vision_model</c>, <c>query_tokens</c> and <c>qformer</c>, then <c>llama_proj</c> (Q-Former
/// width → LLaMA width) and a LLaMA/Vicuna <c>language_model</c>. Loaded from the <see cref="MiniGpt4Layout"/>.
/// </summary>
internal sealed class MiniGpt4ForConditionalGeneration : nn.Module
{
    /// <summary>Internal id of an image slot in a prompt row (never a vocabulary id).</summary>
    internal const int ImageSlot = -1;

    private readonly Blip2VisionModel vision_model;
    private readonly Parameter query_tokens;
    private readonly Blip2QFormerModel qformer;
    private readonly Linear llama_proj;
    private readonly LlamaForCausalLM language_model;

    /// <summary>The vision encoder config.</summary>
    public Blip2VisionConfig Vision { get; }

    /// <summary>Number of query tokens.</summary>
    public int NumQueryTokens { get; }

    public MiniGpt4ForConditionalGeneration(Blip2VisionConfig vision, Blip2QFormerConfig qformerConfig, int numQueryTokens, LlamaConfig text)
        : base(nameof(MiniGpt4ForConditionalGeneration))
    {
        Vision = vision; NumQueryTokens = numQueryTokens;
        vision_model = new Blip2VisionModel(vision);
        query_tokens = new Parameter(zeros(1, numQueryTokens, qformerConfig.HiddenSize));
        qformer = new Blip2QFormerModel(qformerConfig, textInput: false);
        llama_proj = nn.Linear(qformerConfig.HiddenSize, text.HiddenSize);
        language_model = new LlamaForCausalLM(text);
        RegisterComponents();
    }

    /// <summary>The language model.</summary>
    public LlamaForCausalLM LanguageModel => language_model;

    /// <summary>Vision encoder output [B,1+P,Dv] and visual tokens <c>llama_proj(queries)</c> [B,Q,D] of normalised pixels.</summary>
    public (Tensor Vision, Tensor Visual) Encode(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        var image = vision_model.forward(pixelValues);                                              // [B, 1+P, Dv]
        var queries = query_tokens.expand(image.shape[0], query_tokens.shape[1], query_tokens.shape[2]);
        var q = qformer.Forward(queries, null, null, image);                                        // [B, Q, Dq]
        return (image.MoveToOuterDisposeScope(), llama_proj.forward(q).MoveToOuterDisposeScope());
    }

    /// <summary>A prompt row with its single image marker expanded to the Q image slots.</summary>
    public int[] WithImageSlots(IReadOnlyList<int> ids)
    {
        int n = ids.Count(i => i == ImageSlot);
        if (n != 1) throw new ArgumentException($"minigpt4: a prompt must hold the image marker once, it holds it {n} times");
        return ids.SelectMany(i => i == ImageSlot ? Enumerable.Repeat(ImageSlot, NumQueryTokens) : new[] { i }).ToArray();
    }

    /// <summary>Embeds prompts (image marker expanded) with the visual tokens [B,Q,D] in place.</summary>
    public MergedInputs Merge(IReadOnlyList<int[]> prompts, Tensor visual, bool leftPad) =>
        ImageTokenMerger.Merge(language_model, prompts.Select(WithImageSlots).ToArray(), ImageSlot, visual, leftPad, "minigpt4");

    /// <summary>Loads a <see cref="MiniGpt4Layout"/> folder.</summary>
    public static MiniGpt4ForConditionalGeneration Load(string folder, Device? device = null)
    {
        var blip2Dir = Path.Combine(folder, MiniGpt4Layout.Blip2Folder);
        var llamaDir = Path.Combine(folder, MiniGpt4Layout.LlamaFolder);
        var projPath = Path.Combine(folder, MiniGpt4Layout.ProjectionFile);
        foreach (var p in new[] { blip2Dir, llamaDir })
            if (!Directory.Exists(p)) throw new DirectoryNotFoundException($"{folder}: minigpt4 layout needs the folder '{Path.GetFileName(p)}/'");
        if (!File.Exists(projPath)) throw new FileNotFoundException($"{folder}: minigpt4 layout needs {MiniGpt4Layout.ProjectionFile}", projPath);
        var cfgPath = Path.Combine(blip2Dir, "config.json");
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"{blip2Dir}: no config.json", cfgPath);
        var blip2Config = ConfigJson.ReadFile<Blip2ConfigJson>(cfgPath);
        var vision = Blip2VisionConfig.From(blip2Config.VisionConfig ?? throw new InvalidDataException($"{cfgPath}: no vision_config"), cfgPath + " vision_config");
        var qformer = Blip2QFormerConfig.From(blip2Config.QformerConfig ?? throw new InvalidDataException($"{cfgPath}: no qformer_config"), cfgPath + " qformer_config");
        int q = blip2Config.NumQueryTokens ?? 32;
        var text = LlamaConfig.Load(llamaDir);
        var m = new MiniGpt4ForConditionalGeneration(vision, qformer, q, text);
        var blip2 = Checkpoint.Open(blip2Dir);
        // blip2/ is a whole BLIP-2 checkpoint; MiniGPT-4 uses its vision encoder, Q-Former and query tokens only: each
        // part is checked both ways within its own prefix.
        StateDictLoader.Load(m.vision_model, blip2, n => new[] { "vision_model." + n }, unusedAllowed: k => !k.StartsWith("vision_model.", StringComparison.Ordinal));
        StateDictLoader.Load(m.qformer, blip2, n => new[] { "qformer." + n }, unusedAllowed: k => !k.StartsWith("qformer.", StringComparison.Ordinal));
        if (!blip2.Contains("query_tokens")) throw new InvalidDataException($"{blip2.Source}: missing tensor 'query_tokens'");
        using (no_grad())
        {
            var qt = blip2.ReadFloat("query_tokens");
            if (!qt.shape.SequenceEqual(m.query_tokens.shape))
                throw new InvalidDataException($"{blip2.Source}: tensor 'query_tokens' has shape [{string.Join(",", qt.shape)}], expected [{string.Join(",", m.query_tokens.shape)}]");
            m.query_tokens.copy_(qt);
        }
        StateDictLoader.Load(m.llama_proj, Checkpoint.Open(projPath), n => new[] { "llama_proj." + n });
        StateDictLoader.Load(m.language_model, Checkpoint.Open(llamaDir));
        m.eval();
        if (device is not null) m.to(device);
        return m;
    }
}
