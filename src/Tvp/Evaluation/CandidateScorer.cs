using Tvp.Models;
using Tvp.Prompts;
using static TorchSharp.torch;

namespace Tvp.Evaluation;

/// <summary>
/// Scores candidates for many models and prompts in one pass over the data: each batch is decoded and
/// padded once, prompted once per prompt, and handed to every model. Top-1, and top-5 when there are more
/// than five candidates; each result also carries the per-image top-1 correctness in the order of the indices.
/// </summary>
public static class CandidateScorer
{
    /// <summary>A named prompt (null prompt = no prompt).</summary>
    /// <param name="Name">Name used in results.</param>
    /// <param name="Prompt">The prompt, or null for none.</param>
    public sealed record NamedPrompt(string Name, VisualPrompt? Prompt);

    /// <summary>Evaluates every (model, prompt) pair on <paramref name="indices"/>; <paramref name="progress"/> gets the number of images done.</summary>
    public static IReadOnlyList<EvaluationResult> Evaluate(IReadOnlyList<IPromptableModel> models, IReadOnlyList<NamedPrompt> prompts,
        CanvasBatches batches, IReadOnlyList<int> indices, int batchSize, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        int n = indices.Count;
        var top1 = new long[models.Count, prompts.Count];
        var top5 = new long[models.Count, prompts.Count];
        var preds = new int[models.Count, prompts.Count][];
        var correct = new bool[models.Count, prompts.Count][];
        for (int m = 0; m < models.Count; m++)
            for (int p = 0; p < prompts.Count; p++) { preds[m, p] = new int[n]; correct[m, p] = new bool[n]; }
        int maxCandidates = 0, done = 0;
        using var _ = no_grad();
        foreach (var batch in batches.Sequential(indices, batchSize))
        {
            cancel.ThrowIfCancellationRequested();
            using (batch)
            {
                maxCandidates = Math.Max(maxCandidates, batch.Task.Candidates.Max(c => c.Count));
                for (int p = 0; p < prompts.Count; p++)
                {
                    using var scope = NewDisposeScope();
                    var prompt = prompts[p].Prompt;
                    // One prompted input per device, shared by every model on it (models that share an
                    // encoder can then reuse its output for the same input).
                    var inputs = new Dictionary<string, Tensor>();
                    for (int m = 0; m < models.Count; m++)
                    {
                        var dev = models[m].Device;
                        if (!inputs.TryGetValue(dev.ToString(), out var input))
                        {
                            var canvas = batch.Canvas.to(dev);
                            inputs[dev.ToString()] = input = prompt is null ? canvas : ApplyOn(prompt, canvas);
                        }
                        var scores = models[m].Score(input, batch.Task).cpu();          // [B, C]
                        var order = scores.argsort(1, descending: true);
                        var arr = order[.., 0].to_type(ScalarType.Int64).data<long>().ToArray();
                        int k = Math.Min(5, (int)scores.shape[1]);
                        var topk = order[.., ..k].to_type(ScalarType.Int64).contiguous().data<long>().ToArray(); // [B·k]
                        for (int i = 0; i < arr.Length; i++)
                        {
                            int target = batch.Task.Targets[i];
                            preds[m, p][done + i] = (int)arr[i];
                            if (arr[i] == target) { top1[m, p]++; correct[m, p][done + i] = true; }
                            if (target >= 0 && Array.IndexOf(topk, (long)target, i * k, k) >= 0) top5[m, p]++;
                        }
                    }
                }
                done += batch.Indices.Length;
                progress?.Report(done);
            }
        }
        var results = new List<EvaluationResult>();
        for (int m = 0; m < models.Count; m++)
            for (int p = 0; p < prompts.Count; p++)
                results.Add(new EvaluationResult(models[m].Info.Name, prompts[p].Name, n == 0 ? 0 : (double)top1[m, p] / n,
                    maxCandidates > 5 ? (n == 0 ? 0 : (double)top5[m, p] / n) : null, n, preds[m, p], correct[m, p]));
        return results;
    }

    private static Tensor ApplyOn(VisualPrompt prompt, Tensor canvas)
    {
        if (prompt.Delta.device == canvas.device) return prompt.Apply(canvas);
        var masked = (prompt.Delta * prompt.Mask).to(canvas.device);
        return canvas + masked.unsqueeze(0);
    }
}
