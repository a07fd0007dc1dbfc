using TorchSharp;
using Tvp.IO;
using Tvp.Models.Llama;
using Tvp.Models.Multimodal;
using static TorchSharp.torch;

namespace Tvp.Models.Llava;

/// <summary>
/// HF <c>LlavaForConditionalGeneration</c>: CLIP vision tower → selected hidden layer (CLS dropped for
/// the "default" strategy) → <c>multi_modal_projector</c> → visual tokens placed where the image token is
/// in the prompt → LLaMA. Module names follow the legacy checkpoint layout; the newer names
/// (<c>model.language_model.*</c>, <c>model.vision_tower.*</c>, <c>model.multi_modal_projector.*</c>,
/// <c>lm_head</c>) are accepted when loading.
/// </summary>
internal sealed class LlavaForConditionalGeneration : nn.Module
{
    private readonly VisionTower vision_tower;
    private readonly MultiModalProjector multi_modal_projector;
    private readonly LlamaForCausalLM language_model;

    public LlavaConfig Config { get; }

    public LlamaForCausalLM LanguageModel => language_model;

    public LlavaForConditionalGeneration(LlavaConfig c) : base(nameof(LlavaForConditionalGeneration))
    {
        Config = c;
        vision_tower = new VisionTower(c.Vision);
        multi_modal_projector = new MultiModalProjector(c.Vision.HiddenSize, c.Text.HiddenSize, c.ProjectorAct, c.ProjectorBias);
        language_model = new LlamaForCausalLM(c.Text);
        RegisterComponents();
    }

    /// <summary>Vision hidden state fed to the projector, strategy applied: [B, P(+1), Dv].</summary>
    public Tensor SelectedVisionFeatures(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        var states = vision_tower.Model.HiddenStates(pixelValues);
        int layer = Config.VisionFeatureLayer < 0 ? states.Count + Config.VisionFeatureLayer : Config.VisionFeatureLayer;
        if (layer < 0 || layer >= states.Count)
            throw new InvalidOperationException($"vision_feature_layer {Config.VisionFeatureLayer} is outside the tower's {states.Count} hidden states");
        var h = states[layer];
        var selected = Config.SelectStrategy == "default" ? h.narrow(1, 1, h.shape[1] - 1) : h;   // [B, P, Dv]
        return selected.MoveToOuterDisposeScope();
    }

    /// <summary>The projector applied to selected vision features [B,P,Dv] → visual tokens [B,P,D].</summary>
    public Tensor Project(Tensor selected) => multi_modal_projector.forward(selected);

    /// <summary>The projected visual tokens [B, P, D] of normalised pixel values [B,3,S,S].</summary>
    public Tensor ImageFeatures(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        return multi_modal_projector.forward(SelectedVisionFeatures(pixelValues)).MoveToOuterDisposeScope(); // weight dtype
    }

    /// <summary>
    /// Expands the image token of one prompt: a single image token becomes one per visual token (legacy
    /// prompts); a prompt that already holds exactly that many (current HF processors) is kept.
    /// </summary>
    public int[] ExpandImageTokens(IReadOnlyList<int> ids)
    {
        int n = ids.Count(i => i == Config.ImageTokenIndex), p = Config.ImageSeqLength;
        if (n == p) return ids.ToArray();
        if (n != 1)
            throw new ArgumentException($"llava: a prompt must hold the image token {Config.ImageTokenIndex} once (or {p} times); it holds it {n} times");
        var list = new List<int>(ids.Count + p - 1);
        foreach (var id in ids)
            if (id == Config.ImageTokenIndex) list.AddRange(Enumerable.Repeat(id, p));
            else list.Add(id);
        return list.ToArray();
    }

    /// <summary>
    /// Embeds a batch of prompts (each with one image) and puts row b's image features [P, D] in place of
    /// its image tokens, in patch order. Rows are padded on the left (for scoring/generation) or right.
    /// </summary>
    public MergedInputs Merge(IReadOnlyList<IReadOnlyList<int>> prompts, Tensor imageFeatures, bool leftPad) =>
        ImageTokenMerger.Merge(language_model, prompts.Select(ExpandImageTokens).ToArray(), Config.ImageTokenIndex, imageFeatures, leftPad, "llava");

    /// <summary>Logits [B,T,V] for prompts (one image each) — the full forward of the fixture.</summary>
    public Tensor Forward(IReadOnlyList<IReadOnlyList<int>> prompts, Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        var m = Merge(prompts, ImageFeatures(pixelValues), leftPad: false);
        var (h, _) = language_model.Decoder.Forward(m.Embeds, m.Mask);
        return language_model.Logits(h).MoveToOuterDisposeScope();
    }

    /// <summary>Checkpoint names to try for a module name: the legacy layout first, then the current one.</summary>
    internal static IEnumerable<string> CheckpointKeys(string name)
    {
        yield return name;
        const string lmModel = "language_model.model.", lmHead = "language_model.lm_head.";
        if (name.StartsWith(lmModel, StringComparison.Ordinal)) yield return "model.language_model." + name[lmModel.Length..];
        else if (name.StartsWith(lmHead, StringComparison.Ordinal)) yield return "lm_head." + name[lmHead.Length..];
        else yield return "model." + name;
    }

    /// <summary>Loads a llava checkpoint folder (config.json + single or sharded safetensors).</summary>
    public static LlavaForConditionalGeneration Load(string folder, Device? device = null)
    {
        var config = LlavaConfig.Load(folder);
        var ck = Checkpoint.Open(folder);
        var m = EmptyModules.CreateFor(ck, () => new LlavaForConditionalGeneration(config));
        // LLaVA never uses the tower's post_layernorm; some conversions leave it out. A tied LM head may be exported.
        StateDictLoader.Load(m, ck, CheckpointKeys, optional: n => n.Contains(".post_layernorm.", StringComparison.Ordinal),
            unusedAllowed: k => config.Text.TieWordEmbeddings && k.EndsWith("lm_head.weight", StringComparison.Ordinal));
        m.eval();
        if (device is not null) m.to(device);
        return m;
    }
}
