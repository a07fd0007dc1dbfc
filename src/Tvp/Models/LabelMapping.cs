using System.Text.Json;
using Tvp.IO.Json;

namespace Tvp.Models;

/// <summary>
/// Maps each task class to one of a classifier's own labels (one-to-one): identity, an explicit file,
/// or frequency label mapping (FLM) computed from the unprompted model's predictions on training images.
/// </summary>
public sealed class LabelMapping
{
    /// <summary>Task class names, in task order.</summary>
    public IReadOnlyList<string> TaskClasses { get; }

    /// <summary>For each task class, the index of the model label it uses.</summary>
    public IReadOnlyList<int> ModelLabels { get; }

    /// <summary>How the mapping was made: identity, file, frequency.</summary>
    public string Kind { get; }

    /// <summary>Creates a mapping; model labels must be distinct.</summary>
    public LabelMapping(IReadOnlyList<string> taskClasses, IReadOnlyList<int> modelLabels, string kind)
    {
        if (taskClasses.Count != modelLabels.Count)
            throw new ArgumentException($"label mapping: {taskClasses.Count} task classes but {modelLabels.Count} model labels");
        var dup = modelLabels.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new ArgumentException($"label mapping: model label {dup.Key} is used by more than one task class");
        TaskClasses = taskClasses;
        ModelLabels = modelLabels;
        Kind = kind;
    }

    /// <summary>Task class i ↔ model label i (the model must have at least as many labels as the task has classes).</summary>
    public static LabelMapping Identity(IReadOnlyList<string> taskClasses, int modelLabelCount)
    {
        if (modelLabelCount < taskClasses.Count)
            throw new ArgumentException($"identity label mapping needs at least {taskClasses.Count} model labels, the model has {modelLabelCount}");
        return new LabelMapping(taskClasses, Enumerable.Range(0, taskClasses.Count).ToArray(), "identity");
    }

    /// <summary>
    /// Frequency label mapping without collisions: from counts[c, l] (how often unprompted training images
    /// of task class c were predicted as model label l), repeatedly take the largest count among unassigned
    /// classes and unused labels (ties: lower class, then lower label), until every class has a label.
    /// </summary>
    public static LabelMapping Frequency(IReadOnlyList<string> taskClasses, long[,] counts)
    {
        int c = counts.GetLength(0), l = counts.GetLength(1);
        if (c != taskClasses.Count) throw new ArgumentException($"frequency mapping: counts has {c} rows for {taskClasses.Count} classes");
        if (l < c) throw new ArgumentException($"frequency mapping: {c} classes but only {l} model labels");
        var result = new int[c];
        var classDone = new bool[c];
        var labelUsed = new bool[l];
        for (int step = 0; step < c; step++)
        {
            long best = -1; int bc = -1, bl = -1;
            for (int i = 0; i < c; i++)
            {
                if (classDone[i]) continue;
                for (int j = 0; j < l; j++)
                {
                    if (labelUsed[j]) continue;
                    if (counts[i, j] > best) { best = counts[i, j]; bc = i; bl = j; }
                }
            }
            result[bc] = bl; classDone[bc] = true; labelUsed[bl] = true;
        }
        return new LabelMapping(taskClasses, result, "frequency");
    }

    /// <summary>
    /// Reads an explicit mapping: a JSON object {"task class": model label index or name} or a text file
    /// with one "task class&lt;TAB or =&gt;model label" per line. Every task class must be mapped.
    /// </summary>
    public static LabelMapping FromFile(string path, IReadOnlyList<string> taskClasses, IReadOnlyList<string> modelLabels)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"label mapping file not found: {path}", path);
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = File.ReadAllText(path);
        if (text.TrimStart().StartsWith('{'))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON label mapping ({e.Message})", e); }
            using (doc)
                foreach (var (task, label) in ConfigJson.Bind<Dictionary<string, string>>(doc.RootElement, path, DisplayTextConverter.Options))
                    pairs[task] = label ?? ""; // a label index (number) or name (string)
        }
        else
        {
            int lineNo = 0;
            foreach (var raw in File.ReadLines(path))
            {
                lineNo++;
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                int sep = line.IndexOf('\t');
                if (sep < 0) sep = line.IndexOf('=');
                if (sep < 0) throw new InvalidDataException($"{path}:{lineNo}: expected 'task class<TAB>model label', got '{line}'");
                pairs[line[..sep].Trim()] = line[(sep + 1)..].Trim();
            }
        }
        var labels = new int[taskClasses.Count];
        for (int i = 0; i < taskClasses.Count; i++)
        {
            if (!pairs.TryGetValue(taskClasses[i], out var v) && !pairs.TryGetValue(i.ToString(), out v))
                throw new InvalidDataException($"{path}: task class '{taskClasses[i]}' is not mapped");
            if (int.TryParse(v, out var idx))
            {
                if (idx < 0 || idx >= modelLabels.Count) throw new InvalidDataException($"{path}: model label {idx} for '{taskClasses[i]}' is outside 0..{modelLabels.Count - 1}");
                labels[i] = idx;
            }
            else
            {
                idx = modelLabels.ToList().IndexOf(v);
                if (idx < 0) throw new InvalidDataException($"{path}: '{v}' (for '{taskClasses[i]}') is not one of the model's labels");
                labels[i] = idx;
            }
        }
        try { return new LabelMapping(taskClasses, labels, "file"); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    /// <summary>Index of a task class by name, or -1.</summary>
    public int IndexOf(string taskClass)
    {
        for (int i = 0; i < TaskClasses.Count; i++) if (TaskClasses[i] == taskClass) return i;
        return -1;
    }

    /// <summary>Serialises to JSON (task class → model label index), readable by <see cref="FromFile"/>.</summary>
    public string ToJson() => JsonSerializer.Serialize(
        TaskClasses.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => ModelLabels[t.i]),
        new JsonSerializerOptions { WriteIndented = true });
}
