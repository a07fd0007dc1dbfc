using System.Text.Json;
using Tvp.IO.Tokenizers;
using Tvp.Models.Llama;
using static TorchSharp.torch;

namespace Tvp.Models.Llava;

/// <summary>
/// A LLaVA checkpoint as a promptable model. <see cref="ImageFeatures"/> = the projected visual tokens;
/// <see cref="TaskLoss"/> = LM cross-entropy on the answer tokens (+ end marker) only;
/// <see cref="Score"/> = mean per-token log-probability of each candidate, the prompt computed once and its
/// key/value cache shared by the candidates. The weights are frozen; gradients reach only the pixels.
/// </summary>
internal sealed class LlavaModel : IPromptableModel
{
    private readonly ITextTokenizer? _tokenizer;
    private readonly LlavaPromptEncoder? _prompts;

    public LlavaForConditionalGeneration Net { get; }
    public ModelInfo Info { get; }
    public Device Device { get; }
    public PromptTemplate Template { get; }
    public string Folder { get; }

    private LlavaModel(string folder, LlavaForConditionalGeneration net, ITextTokenizer? tokenizer, PromptTemplate template, ModelInfo info, Device device)
    {
        Folder = folder; Net = net; _tokenizer = tokenizer; Template = template; Info = info; Device = device;
        if (tokenizer is not null) _prompts = new LlavaPromptEncoder(template, tokenizer, net.Config.ImageTokenIndex);
    }

    /// <summary>Loads a llava folder: weights, tokenizer (if any), template, preprocessing.</summary>
    public static LlavaModel Load(string folder, Device device)
    {
        var net = LlavaForConditionalGeneration.Load(folder, device);
        foreach (var p in net.parameters()) p.requires_grad = false;
        var tokenizer = TextTokenizer.TryLoad(folder);
        var (mean, std, size) = ReadPreprocessor(folder, net.Config.Vision.ImageSize);
        var name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        var info = new ModelInfo(name, "llava", size, mean, std, "bicubic");
        return new LlavaModel(folder, net, tokenizer, PromptTemplate.ForCheckpoint(folder), info, device);
    }

    /// <summary>image_mean / image_std / crop size from preprocessor_config.json, else CLIP's and the tower's size.</summary>
    private static (float[] Mean, float[] Std, int Size) ReadPreprocessor(string folder, int towerSize)
    {
        var p = Path.Combine(folder, "preprocessor_config.json");
        if (!File.Exists(p)) return (ModelInfo.ClipMean, ModelInfo.ClipStd, towerSize);
        using var doc = JsonDocument.Parse(File.ReadAllText(p));
        var r = doc.RootElement;
        float[] Arr(string n, float[] d) => r.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.GetSingle()).ToArray() : d;
        return (Arr("image_mean", ModelInfo.ClipMean), Arr("image_std", ModelInfo.ClipStd), towerSize);
    }

    private LlavaPromptEncoder Prompts => _prompts ?? throw new InvalidOperationException(
        $"{Folder}: the checkpoint has no tokenizer (tokenizer.json or tokenizer.model); give token ids instead");

    /// <summary>The prompt encoder (needs a tokenizer).</summary>
    internal LlavaPromptEncoder PromptEncoder => Prompts;

    /// <summary>The model's normalised input for a prompted canvas.</summary>
    public Tensor PixelValues(Tensor pixels) => ModelInput.Prepare(pixels, Info);

    public Tensor ImageFeatures(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return Net.ImageFeatures(PixelValues(pixels)).to(ScalarType.Float32).MoveToOuterDisposeScope(); // FCA in float32
    }

    public Tensor TaskLoss(Tensor pixels, TaskBatch batch)
    {
        if (batch.Targets.Any(t => t < 0)) throw new ArgumentException("llava task loss: every row needs a target");
        var prompts = batch.Questions.Select(Prompts.EncodePrompt).ToArray();
        var answers = Enumerable.Range(0, batch.Count)
            .Select(i => Prompts.EncodeAnswer(batch.Questions[i], batch.Candidates[i][batch.Targets[i]], withEnd: true)).ToArray();
        using var scope = NewDisposeScope();
        return LanguageModelLoss(PixelValues(pixels), prompts, answers).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean cross-entropy over the answer tokens of all rows: each sequence is prompt (image expanded) +
    /// answer; prompt and image positions carry no loss. <paramref name="pixelValues"/> is normalised.
    /// </summary>
    internal Tensor LanguageModelLoss(Tensor pixelValues, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> answers)
    {
        using var scope = NewDisposeScope();
        var seqs = prompts.Zip(answers, (p, a) => (IReadOnlyList<int>)p.Concat(a).ToArray()).ToArray();
        var m = Net.Merge(seqs, Net.ImageFeatures(pixelValues), leftPad: false);
        var (hidden, _) = Net.LanguageModel.Decoder.Forward(m.Embeds, m.Mask);                      // [B, T, D]
        long t = hidden.shape[1];
        var from = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < seqs.Length; b++)
        {
            int answerStart = m.Ids[b].Length - answers[b].Length;                                   // after the expanded prompt
            for (int k = 0; k < answers[b].Length; k++)
            {
                from.Add(b * t + m.Offsets[b] + answerStart + k - 1);                              // position predicting answer token k
                targets.Add(answers[b][k]);
            }
        }
        var flat = hidden.view(-1, hidden.shape[2]);                                               // [B*T, D]
        var picked = flat.index_select(0, tensor(from.ToArray(), device: hidden.device));           // [N, D]
        var logits = Net.LanguageModel.Logits(picked).to(ScalarType.Float32);                      // [N, V], loss in float32
        return nn.functional.cross_entropy(logits, tensor(targets.ToArray(), device: hidden.device)).MoveToOuterDisposeScope();
    }

    public Tensor Score(Tensor pixels, TaskBatch batch)
    {
        var prompts = batch.Questions.Select(Prompts.EncodePrompt).ToArray();
        var cands = Enumerable.Range(0, batch.Count).Select(i => (IReadOnlyList<int[]>)batch.Candidates[i]
            .Select(c => Prompts.EncodeAnswer(batch.Questions[i], c, Template.ScoreEndMarker)).ToArray()).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var r = ScoreIds(PixelValues(pixels), prompts, cands);
        int b = r.Mean.GetLength(0), c = r.Mean.GetLength(1);
        var values = new float[b * c];
        for (int i = 0; i < b; i++) for (int j = 0; j < c; j++) values[i * c + j] = (float)r.Mean[i, j];
        return tensor(values, new long[] { b, c }, device: Device).MoveToOuterDisposeScope();
    }

    /// <summary>Candidate log-likelihoods from token ids (prompt with its image token; candidates per row). Pixel values normalised.</summary>
    internal CandidateLogLikelihoods ScoreIds(Tensor pixelValues, IReadOnlyList<int[]> prompts, IReadOnlyList<IReadOnlyList<int[]>> candidates)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var m = Net.Merge(prompts, Net.ImageFeatures(pixelValues), leftPad: true);
        return ContinuationScorer.Score(Net.LanguageModel, m.Embeds, m.Mask, candidates);
    }

    /// <summary>Greedy answers for prompt ids (one image per row), at most <paramref name="maxNewTokens"/> tokens, stopping at EOS.</summary>
    internal int[][] GenerateIds(Tensor pixelValues, IReadOnlyList<int[]> prompts, int maxNewTokens)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var m = Net.Merge(prompts, Net.ImageFeatures(pixelValues), leftPad: true);
        var eos = _tokenizer?.Special.Eos ?? Net.Config.Text.EosTokenId;
        return GreedyGenerator.Generate(Net.LanguageModel, m.Embeds, m.Mask, maxNewTokens, eos);
    }

    /// <summary>Greedy open answers to the questions for prompted canvases.</summary>
    public IReadOnlyList<string> Generate(Tensor pixels, IReadOnlyList<string> questions, int maxNewTokens = 16)
    {
        var prompts = questions.Select(Prompts.EncodePrompt).ToArray();
        using var scope = NewDisposeScope();
        return GenerateIds(PixelValues(pixels), prompts, maxNewTokens).Select(ids => Prompts.Decode(ids)).ToArray();
    }

    public void Dispose()
    {
        Net.Dispose();
        _tokenizer?.Dispose();
    }
}
