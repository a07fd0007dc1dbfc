using Tvp.Models.Llama;
using Tvp.Models.Opt;
using Tvp.Models.T5;
using static TorchSharp.torch;

namespace Tvp.Models.Blip2;

/// <summary>The language model of a BLIP-2 / InstructBLIP checkpoint: exactly one of OPT, LLaMA (Vicuna) or T5 (Flan-T5).</summary>
/// <param name="Opt">OPT config (model_type opt).</param>
/// <param name="Llama">LLaMA config (model_type llama).</param>
/// <param name="T5">T5 config (model_type t5).</param>
internal sealed record Blip2TextModel(OptConfig? Opt = null, LlamaConfig? Llama = null, T5Config? T5 = null)
{
    /// <summary>True for an encoder–decoder language model.</summary>
    public bool IsEncoderDecoder => T5 is not null;

    /// <summary>The width the projected query tokens must have.</summary>
    public int HiddenSize => Opt?.HiddenSize ?? Llama?.HiddenSize ?? T5!.DModel;

    /// <summary>The HF model_type.</summary>
    public string ModelType => Opt is not null ? "opt" : Llama is not null ? "llama" : "t5";

    /// <summary>A fresh module of this language model.</summary>
    public nn.Module Create() =>
        Opt is not null ? new OptForCausalLM(Opt) : Llama is not null ? new LlamaForCausalLM(Llama) : new T5ForConditionalGeneration(T5!);

    /// <summary>HF config.json fields.</summary>
    internal Dictionary<string, object?> ToJsonFields() =>
        Opt?.ToJsonFields() ?? Llama?.ToJsonFields() ?? T5!.ToJsonFields();
}
