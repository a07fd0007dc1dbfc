using TorchSharp;
using TorchSharp.Modules;
using Tvp.IO;
using Tvp.Models.Multimodal;
using Tvp.Models.T5;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>
/// HF <c>Blip2ForConditionalGeneration</c> and <c>InstructBlipForConditionalGeneration</c> (one module tree:
/// <c>vision_model</c>, <c>query_tokens</c>, <c>qformer</c>, <c>language_projection</c>, <c>language_model</c>;
/// InstructBLIP's Q-Former also reads the instruction). The projected query outputs (visual tokens) are
/// prepended to the embedded prompt — the decoder input for OPT/LLaMA, the encoder input for T5 — or, when the
/// config has <c>image_token_index</c> and a prompt holds those tokens, put in their place.
/// </summary>
internal sealed class Blip2ForConditionalGeneration : nn.Module
{
    /// <summary>Internal id of a prepended query slot (never a vocabulary id).</summary>
    internal const int QuerySlot = -1;

    private readonly Blip2VisionModel vision_model;
    private readonly Parameter query_tokens;
    private readonly Blip2QFormerModel qformer;
    private readonly Linear language_projection;
    private readonly nn.Module language_model;

    public Blip2Config Config { get; }

    public Blip2ForConditionalGeneration(Blip2Config c) : base(c.Kind == Blip2Kind.Blip2 ? nameof(Blip2ForConditionalGeneration) : "InstructBlipForConditionalGeneration")
    {
        Config = c;
        vision_model = new Blip2VisionModel(c.Vision);
        query_tokens = new Parameter(zeros(1, c.NumQueryTokens, c.QFormer.HiddenSize));
        qformer = new Blip2QFormerModel(c.QFormer, c.QFormerTextInput);
        language_projection = nn.Linear(c.QFormer.HiddenSize, c.Text.HiddenSize);
        language_model = c.Text.Create();
        RegisterComponents();
    }

    /// <summary>The language model.</summary>
    public ILanguageModel LanguageModel => (ILanguageModel)language_model;

    /// <summary>The vision encoder.</summary>
    public Blip2VisionModel VisionModel => vision_model;

    /// <summary>The Q-Former.</summary>
    public Blip2QFormerModel QFormer => qformer;

    /// <summary>The learned query tokens [1,Q,Dq].</summary>
    public Tensor QueryTokens => query_tokens;

    /// <summary>Q-Former output [B,Q(+T),Dq] for image features [B,S,Dv] (and the instruction for InstructBLIP).</summary>
    public Tensor QFormerOutput(Tensor image, Tensor? instructionIds = null, Tensor? instructionMask = null)
    {
        if (Config.QFormerTextInput && instructionIds is null)
            throw new ArgumentException("instructblip: the Q-Former needs instruction ids (--qformer-input-ids)");
        using var scope = NewDisposeScope();
        var queries = query_tokens.expand(image.shape[0], query_tokens.shape[1], query_tokens.shape[2]); // [B, Q, Dq]
        return qformer.Forward(queries, instructionIds, instructionMask, image).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One pass from normalised pixels [B,3,S,S]: the vision encoder output [B,1+P,Dv] (what the paper's models
    /// share) and the visual tokens <c>language_projection(query rows)</c> [B,Q,D] (what the language model reads).
    /// </summary>
    public (Tensor Vision, Tensor Visual) Encode(Tensor pixelValues, Tensor? instructionIds = null, Tensor? instructionMask = null)
    {
        using var scope = NewDisposeScope();
        var image = vision_model.forward(pixelValues);                                             // [B, 1+P, Dv]
        var q = QFormerOutput(image, instructionIds, instructionMask).narrow(1, 0, Config.NumQueryTokens); // [B, Q, Dq]
        var visual = language_projection.forward(q);                                               // [B, Q, D]
        return (image.MoveToOuterDisposeScope(), visual.MoveToOuterDisposeScope());
    }

    /// <summary>The visual tokens [B,Q,D] of normalised pixels.</summary>
    public Tensor ImageFeatures(Tensor pixelValues, Tensor? instructionIds = null, Tensor? instructionMask = null)
    {
        var (vision, visual) = Encode(pixelValues, instructionIds, instructionMask);
        vision.Dispose();
        return visual;
    }

    /// <summary>Visual tokens [B,Q,D] from precomputed image features (the vision encoder's output).</summary>
    public Tensor Project(Tensor queryOutput) => language_projection.forward(queryOutput);

    /// <summary>
    /// The language-model row of a prompt: a single <see cref="QuerySlot"/> marker (from a prompt template) becomes
    /// the Q query slots; else — when the config has <c>image_token_index</c> and the prompt holds exactly Q of them —
    /// those tokens are the slots; else the Q slots are prepended (HF's classic wiring).
    /// </summary>
    public int[] WithImageSlots(IReadOnlyList<int> ids)
    {
        int q = Config.NumQueryTokens;
        int markers = ids.Count(i => i == QuerySlot);
        if (markers == 1) return ids.SelectMany(i => i == QuerySlot ? Enumerable.Repeat(QuerySlot, q) : new[] { i }).ToArray();
        if (markers != 0) throw new ArgumentException($"blip-2: a prompt holds {markers} image markers (expected one or none)");
        if (Config.ImageTokenIndex is int img && ids.Contains(img))
        {
            int n = ids.Count(i => i == img);
            if (n != q) throw new ArgumentException($"blip-2: a prompt holds the image token {img} {n} times, expected {q} (num_query_tokens) or none");
            return ids.Select(i => i == img ? QuerySlot : i).ToArray();
        }
        return Enumerable.Repeat(QuerySlot, q).Concat(ids).ToArray();
    }

    /// <summary>Embeds prompts (image slots added) and puts the visual tokens [B,Q,D] into them.</summary>
    public MergedInputs Merge(IReadOnlyList<IReadOnlyList<int>> prompts, Tensor visual, bool leftPad) =>
        ImageTokenMerger.Merge(LanguageModel, prompts.Select(WithImageSlots).ToArray(), QuerySlot, visual, leftPad, Config.Kind == Blip2Kind.Blip2 ? "blip-2" : "instructblip");

    /// <summary>
    /// Decoder-only: logits [B,Q+T,V] for prompts. Encoder–decoder: decoder logits [B,L,V] for
    /// <paramref name="decoderIds"/> [B,L] with the prompts (and visual tokens) as encoder input.
    /// </summary>
    public Tensor Forward(IReadOnlyList<IReadOnlyList<int>> prompts, Tensor pixelValues, Tensor? instructionIds = null,
        Tensor? instructionMask = null, Tensor? decoderIds = null)
    {
        using var scope = NewDisposeScope();
        var m = Merge(prompts, ImageFeatures(pixelValues, instructionIds, instructionMask), leftPad: false);
        Tensor hidden;
        switch (LanguageModel)
        {
            case ICausalLanguageModel lm: hidden = lm.Forward(m.Embeds, m.Mask).Hidden; break;
            case IEncoderDecoderLanguageModel ed:
                if (decoderIds is null) throw new ArgumentException("blip-2 t5: decoder input ids are needed");
                hidden = ed.Decode(decoderIds, ed.Encode(m.Embeds, m.Mask), m.Mask);
                break;
            default: throw new InvalidOperationException("blip-2: unknown language model kind");
        }
        return LanguageModel.Logits(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Checkpoint names for a module name (T5's embed_tokens aliases of <c>shared</c>).</summary>
    internal static IEnumerable<string> CheckpointKeys(string name) => T5ForConditionalGeneration.CheckpointKeys("language_model.", name);

    /// <summary>
    /// Loads a blip-2 / instructblip folder (config.json + safetensors). LAVIS-style vision <c>q_bias</c>/<c>v_bias</c>
    /// become the HF fused bias cat(q_bias, 0, v_bias).
    /// </summary>
    public static Blip2ForConditionalGeneration Load(string folder, Device? device = null)
    {
        var config = Blip2Config.Load(folder);
        var ck = Checkpoint.Open(folder);
        var m = EmptyModules.CreateFor(ck, () => new Blip2ForConditionalGeneration(config));
        LoadInto(m, ck);
        m.eval();
        if (device is not null) m.to(device);
        return m;
    }

    /// <summary>Copies a checkpoint into the module (HF names; LAVIS q_bias/v_bias accepted).</summary>
    internal static void LoadInto(Blip2ForConditionalGeneration m, Checkpoint ck)
    {
        const string qkvBias = ".self_attn.qkv.bias";
        bool lavisBias = ck.Names.Any(n => n.EndsWith(".self_attn.q_bias", StringComparison.Ordinal));
        IEnumerable<string> Keys(string name)
        {
            foreach (var k in CheckpointKeys(name)) yield return k;
            if (lavisBias && name.EndsWith(qkvBias, StringComparison.Ordinal)) yield return name[..^".qkv.bias".Length] + ".q_bias";
        }
        Func<string, Tensor, Tensor>? transform = null;
        if (lavisBias)
            transform = (name, t) =>
            {
                if (!name.EndsWith(qkvBias, StringComparison.Ordinal) || ck.Contains(name)) return t;
                var v = ck.ReadFloat(name[..^".qkv.bias".Length] + ".v_bias");
                return cat(new[] { t, zeros_like(v), v }, 0);                        // [3D] = cat(q_bias, 0, v_bias)
            };
        // LAVIS v_bias tensors are read through the fused q bias's transform, not by name.
        StateDictLoader.Load(m, ck, Keys, transform: transform, unusedAllowed: k => lavisBias && k.EndsWith(".self_attn.v_bias", StringComparison.Ordinal));
    }
}
