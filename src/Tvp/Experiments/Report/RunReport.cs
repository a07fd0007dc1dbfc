using Tvp.IO;

namespace Tvp.Experiments.Report;

/// <summary>
/// Writes a run folder's report: <c>report.html</c> (self-contained: inline CSS, no scripts, opens offline)
/// with PNG figures under <c>figures/</c>: each prompt (enlarged, and added to a mid-grey canvas), a heatmap of
/// every transfer matrix, the loss terms (task / FCA / TSE) and validation top-1 against step, plus the accuracy
/// table, extra tables and the key options. Pieces the run does not have (no metrics for an evaluation-only
/// run, no prompt, no results for an unfinished run) are left out.
/// </summary>
public static class RunReport
{
    /// <summary>Writes report.html and figures/ into <paramref name="runDir"/>; returns the report's path.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a run folder (neither options.json nor results.json), or one of its JSON files is invalid (names the file).</exception>
    public static string Write(string runDir)
    {
        var run = RunContents.Read(runDir);
        var figures = Path.Combine(run.Dir, "figures");
        Directory.CreateDirectory(figures);

        var matrixFigures = new List<Figure>();
        var matrices = run.Results?.Matrices ?? Array.Empty<MatrixView>();
        for (int i = 0; i < matrices.Count; i++)
        {
            var file = i == 0 ? "matrix.png" : $"matrix-{i}.png";
            MatrixFigure.Write(matrices[i], Path.Combine(figures, file));
            matrixFigures.Add(new Figure(file, "Top-1 % per prompt (row) and model (column); colour is top-1, the second line is the gain over no prompt."));
        }

        var prompts = new List<PromptSection>();
        foreach (var p in run.Prompts)
        {
            var name = Path.GetFileName(p.Path);
            try { prompts.Add(new PromptSection(name, PromptFigure.Write(p.Path, p.Stem, figures), null)); }
            catch (InvalidDataException e) { prompts.Add(new PromptSection(name, null, e.Message)); }
        }

        var training = new List<TrainingSection>();
        foreach (var m in run.Metrics)
        {
            var suffix = m.Stem.Length > "metrics".Length ? m.Stem["metrics".Length..] : "";
            string loss = $"loss{suffix}.png", val = $"validation{suffix}.png";
            var lossFig = TrainingFigures.WriteLoss(m.Log, Path.Combine(figures, loss))
                ? new Figure(loss, "Task loss (with the whole objective L = task + λ_fca·FCA − λ_tse·S when regularised), FCA and TSE similarity per logged step.") : null;
            var valFig = TrainingFigures.WriteValidation(m.Log, Path.Combine(figures, val))
                ? new Figure(val, "Top-1 % on the validation split (never test); circles mark new bests, the last of which is the kept prompt.") : null;
            training.Add(new TrainingSection(m.Log, Path.GetFileName(m.Log.Path), lossFig, valFig));
        }

        var html = new ReportHtml().Build(run, matrixFigures, prompts, training);
        var path = Path.Combine(run.Dir, "report.html");
        AtomicFile.WriteAllText(path, html);
        return path;
    }
}
