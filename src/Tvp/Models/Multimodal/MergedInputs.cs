using static TorchSharp.torch;

namespace Tvp.Models.Multimodal;

/// <summary>A batch of prompts with their image features spliced in.</summary>
/// <param name="Embeds">[B,T,D] input embeddings.</param>
/// <param name="Mask">[B,T] bool, true at real tokens.</param>
/// <param name="Ids">Per row: the ids with one image-slot id per visual token (unpadded).</param>
/// <param name="Offsets">Per row: where the row's first token sits in the padded batch (left padding).</param>
internal sealed record MergedInputs(Tensor Embeds, Tensor Mask, int[][] Ids, int[] Offsets);
