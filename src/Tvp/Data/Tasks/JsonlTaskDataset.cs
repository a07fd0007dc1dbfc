using System.Text.Json;
using Tvp.IO.Json;
using Tvp.Models;
using static TorchSharp.torch;

namespace Tvp.Data.Tasks;

/// <summary>
/// A task file in JSON Lines: one <c>{"image": path, "question": text, "answer": text, "candidates": [..]}</c>
/// per line (blank lines and lines starting with '#' are skipped; relative image paths are relative to the
/// file). Covers yes/no questions (POPE, Hateful Memes style: candidates ["no","yes"]) and counting (CLEVR
/// style). <see cref="Classes"/> is the union of all candidates in first-seen order, so a task whose rows
/// share one candidate list is also an ordinary labelled dataset.
/// </summary>
public sealed class JsonlTaskDataset : ITaskDataset
{
    private readonly List<TaskExample> _examples;
    private readonly List<string> _classes = new();
    private readonly Dictionary<string, int> _classIndex = new(StringComparer.Ordinal);

    /// <summary>The task file.</summary>
    public string Source { get; }

    /// <summary>The examples, in file order.</summary>
    public IReadOnlyList<TaskExample> Examples => _examples;

    /// <inheritdoc/>
    public IReadOnlyList<string> Classes => _classes;

    /// <inheritdoc/>
    public int Count => _examples.Count;

    private JsonlTaskDataset(string source, List<TaskExample> examples)
    {
        Source = source;
        _examples = examples;
        foreach (var c in examples.SelectMany(e => e.Candidates.Append(e.Answer)))
            if (_classIndex.TryAdd(c, _classes.Count)) _classes.Add(c);
    }

    /// <summary>
    /// Reads a task file; every problem names the file and line. Image paths must stay inside the task file's
    /// folder (no <c>..</c> escapes, no absolute paths elsewhere) unless <paramref name="allowOutsidePaths"/>
    /// (<c>--allow-outside-paths</c>): a task file downloaded from the internet must not make tvp read arbitrary files.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not a task object, misses a field, is too long, points outside the data folder, or its answer is not among its candidates.</exception>
    public static JsonlTaskDataset Load(string path, bool allowOutsidePaths = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"task file not found: {path}", path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var list = new List<TaskExample>();
        int lineNo = 0;
        var limits = IO.Limits.Current;
        using var stream = IO.InputFile.OpenRead(path);
        if (stream.Length > limits.MaxTextFileBytes)
            throw new InvalidDataException($"{path}: {stream.Length} bytes, above the {limits.MaxTextFileBytes}-byte limit for task files");
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } raw)
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string where = $"{path}:{lineNo}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InvalidDataException($"{where}: not a JSON object ({e.Message})", e); }
            TaskLineJson r;
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: not a JSON object");
                r = ConfigJson.Bind<TaskLineJson>(doc.RootElement, where, DisplayTextConverter.Options);
            }
            {
                // A string or number field; absent or null is missing.
                string Str(string? v, string name) => v is not null ? v : throw new InvalidDataException($"{where}: missing \"{name}\"");
                var image = Str(r.Image, "image");
                var candidates = r.Candidates?.ToArray() ?? Array.Empty<string>();
                var answer = Str(r.Answer, "answer");
                var question = Str(r.Question, "question");
                foreach (var (field, text) in candidates.Select(x => ("candidates", x)).Append(("answer", answer)).Append(("question", question)))
                    if (text.Length > limits.MaxQuestionChars)
                        throw new InvalidDataException($"{where}: \"{field}\" is {text.Length} characters long, above the limit of {limits.MaxQuestionChars}");
                var imagePath = Path.GetFullPath(Path.IsPathRooted(image) ? image : Path.Combine(dir, image));
                if (!allowOutsidePaths && !imagePath.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new InvalidDataException($"{where}: image \"{image}\" is outside the data folder {dir}; pass --allow-outside-paths to allow it");
                if (candidates.Length > 0 && !candidates.Contains(answer))
                    throw new InvalidDataException($"{where}: answer \"{answer}\" is not one of the candidates [{string.Join(", ", candidates)}]");
                list.Add(new TaskExample(imagePath, question, answer, candidates));
            }
        }
        if (list.Count == 0) throw new InvalidDataException($"{path}: no task examples");
        return new JsonlTaskDataset(path, list);
    }

    /// <inheritdoc/>
    public int LabelOf(int index) => _classIndex[_examples[index].Answer];

    /// <inheritdoc/>
    public Tensor LoadImage(int index) => ImageDecoder.Load(_examples[index].Image);

    /// <inheritdoc/>
    public string Describe(int index) => $"{Source}:{index} ({_examples[index].Image})";

    /// <inheritdoc/>
    public string Name => Path.GetFileNameWithoutExtension(Source);

    /// <inheritdoc/>
    public TaskBatch BatchOf(IReadOnlyList<int> indices) => Batch(indices);

    /// <summary>The text side of a batch of examples: each row's question, candidates and right answer.</summary>
    /// <exception cref="InvalidOperationException">An example has no candidates (open answers are scored by generation).</exception>
    public TaskBatch Batch(IReadOnlyList<int> indices)
    {
        var rows = indices.Select(i => _examples[i]).ToArray();
        if (rows.FirstOrDefault(r => r.Candidates.Count == 0) is { } open)
            throw new InvalidOperationException($"{Source}: \"{open.Question}\" has no candidates; score it by generation");
        return new TaskBatch(rows.Select(r => r.Question).ToArray(),
            rows.Select(r => r.Candidates).ToArray(),
            rows.Select(r => r.Candidates.ToList().IndexOf(r.Answer)).ToArray());
    }
}
