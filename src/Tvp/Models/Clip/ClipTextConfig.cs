using System.Text.Json;
using Tvp.IO.Json;

namespace Tvp.Models.Clip;

/// <summary>
/// HF <c>CLIPTextConfig</c>: the text tower's sizes and special ids. Missing fields take HF's defaults.
/// Real openai checkpoints store the legacy <c>eos_token_id</c> 2, which means "pool at argmax(input_ids)".
/// </summary>
internal sealed record ClipTextConfig(
    int VocabSize = 49408,
    int HiddenSize = 512,
    int IntermediateSize = 2048,
    int NumHiddenLayers = 12,
    int NumAttentionHeads = 8,
    int MaxPositionEmbeddings = 77,
    string HiddenAct = "quick_gelu",
    double LayerNormEps = 1e-5,
    int ProjectionDim = 512,
    int PadTokenId = 1,
    int BosTokenId = 49406,
    int EosTokenId = 49407)
{
    /// <summary>Reads a <c>text_config</c> object; <paramref name="source"/> names it in errors.</summary>
    public static ClipTextConfig FromJson(JsonElement e, string source = "text_config") => From(ConfigJson.Bind<ClipTextConfigJson>(e, source));

    /// <summary>The config a typed <c>text_config</c> gives (absent keys: HF's defaults), validated; null: all defaults.</summary>
    public static ClipTextConfig From(ClipTextConfigJson? j)
    {
        var d = new ClipTextConfig();
        if (j is null) return d;
        var c = new ClipTextConfig(
            VocabSize: j.VocabSize ?? d.VocabSize,
            HiddenSize: j.HiddenSize ?? d.HiddenSize,
            IntermediateSize: j.IntermediateSize ?? d.IntermediateSize,
            NumHiddenLayers: j.NumHiddenLayers ?? d.NumHiddenLayers,
            NumAttentionHeads: j.NumAttentionHeads ?? d.NumAttentionHeads,
            MaxPositionEmbeddings: j.MaxPositionEmbeddings ?? d.MaxPositionEmbeddings,
            HiddenAct: j.HiddenAct ?? d.HiddenAct,
            LayerNormEps: j.LayerNormEps ?? d.LayerNormEps,
            ProjectionDim: j.ProjectionDim ?? d.ProjectionDim,
            PadTokenId: j.PadTokenId ?? d.PadTokenId,
            BosTokenId: j.BosTokenId ?? d.BosTokenId,
            EosTokenId: j.EosTokenId ?? d.EosTokenId);
        c.Validate();
        return c;
    }

    /// <summary>Throws when a size is out of range (<see cref="IO.Limits"/>) or the sizes are inconsistent; errors name the field.</summary>
    public void Validate()
    {
        const string f = "text_config";
        var l = IO.Limits.Current;
        IO.Limits.Positive(f, "vocab_size", VocabSize, l.MaxVocabulary);
        IO.Limits.Positive(f, "hidden_size", HiddenSize, l.MaxWidth);
        IO.Limits.Positive(f, "intermediate_size", IntermediateSize, l.MaxWidth);
        IO.Limits.Positive(f, "num_hidden_layers", NumHiddenLayers, l.MaxLayers);
        IO.Limits.Positive(f, "num_attention_heads", NumAttentionHeads, HiddenSize);
        IO.Limits.Positive(f, "max_position_embeddings", MaxPositionEmbeddings, l.MaxSequenceLength);
        IO.Limits.Positive(f, "projection_dim", ProjectionDim, l.MaxWidth);
        IO.Limits.FiniteAbove(f, "layer_norm_eps", LayerNormEps, 0, 1);
        foreach (var (name, id) in new[] { ("pad_token_id", PadTokenId), ("bos_token_id", BosTokenId), ("eos_token_id", EosTokenId) })
            if (id < 0) throw new InvalidDataException($"{f}: '{name}' must be >= 0, got {id}"); // may exceed vocab_size in configs (unused then)
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"text_config: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}");
        ClipActivation.Check(HiddenAct, "text_config");
        double h = HiddenSize;
        l.CheckParameters(f, (double)VocabSize * h + (double)MaxPositionEmbeddings * h + NumHiddenLayers * (4 * h * h + 2 * h * IntermediateSize));
        l.CheckActivation(f, "one attention map", (double)NumAttentionHeads * MaxPositionEmbeddings * MaxPositionEmbeddings);
    }

    /// <summary>The HF JSON object for this config.</summary>
    public Dictionary<string, object> ToJson() => new()
    {
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["hidden_act"] = HiddenAct,
        ["layer_norm_eps"] = LayerNormEps,
        ["projection_dim"] = ProjectionDim,
        ["pad_token_id"] = PadTokenId,
        ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenId,
        ["model_type"] = "clip_text_model",
    };
}
