namespace Tvp.Models.MiniGpt4;

/// <summary>
/// The MiniGPT-4 folder layout tvp reads (MiniGPT-4 has no HF class; this composes its three released parts):
/// <code>
/// DIR/config.json               {"model_type": "minigpt4"}
/// DIR/blip2/                    a BLIP-2 folder: config.json (vision_config, qformer_config, num_query_tokens) and
///                               safetensors with vision_model.*, query_tokens, qformer.* (other tensors are not read)
/// DIR/llama/                    a LlamaForCausalLM (Vicuna) folder: config.json, safetensors, tokenizer
/// DIR/llama_proj.safetensors    llama_proj.weight [llama hidden, Q-Former hidden], llama_proj.bias [llama hidden]
/// DIR/preprocessor_config.json  optional (else CLIP mean/std at the vision image size)
/// DIR/tvp_template.json         optional (else the built-in "minigpt4" template)
/// </code>
/// The visual tokens are <c>llama_proj(Q-Former query outputs)</c>, placed at the template's <c>&lt;ImageHere&gt;</c>.
/// </summary>
internal static class MiniGpt4Layout
{
    /// <summary>config.json model_type of the layout.</summary>
    public const string ModelType = "minigpt4";

    /// <summary>Sub-folder with the BLIP-2 vision encoder + Q-Former.</summary>
    public const string Blip2Folder = "blip2";

    /// <summary>Sub-folder with the LLaMA / Vicuna checkpoint.</summary>
    public const string LlamaFolder = "llama";

    /// <summary>File with the llama_proj linear layer.</summary>
    public const string ProjectionFile = "llama_proj.safetensors";
}
