using System.Globalization;
using System.Text;
using Tvp.IO;

namespace Tvp.Experiments.Study;

/// <summary>
/// Writes a study's results into a folder: results.csv (one row per cell × seed), claims.txt, report.html with
/// figures under figures/, and results.json last (its presence marks a finished study).
/// </summary>
public static class StudyResultsWriter
{
    /// <summary>Writes the files into <paramref name="dir"/> (created); returns the path of results.json.</summary>
    public static string Write(string dir, StudyResults results)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "results.csv"), Csv(results));
        AtomicFile.WriteAllText(Path.Combine(dir, "claims.txt"), string.Join("\n", results.Claims()) + "\n");
        StudyReport.Write(dir, results);
        var path = Path.Combine(dir, "results.json");
        AtomicFile.WriteAllText(path, results.ToJson());
        return path;
    }

    /// <summary>CSV: one row per cell × seed (top-1 and gain as fractions).</summary>
    public static string Csv(StudyResults results)
    {
        var sb = new StringBuilder("study,model,role,source,prompt,lambda_fca,lambda_tse,fca_features,shots,corruption,severity,label_map,seed,top1,gain,n_test\n");
        foreach (var c in results.Cells)
            for (int s = 0; s < c.Seeds.Length; s++)
                sb.AppendLine(string.Join(",", Quote(results.Study), Quote(c.Model), c.Role, Quote(c.Source), Quote(c.Prompt), R(c.LambdaFca), R(c.LambdaTse),
                    c.FcaFeatures, c.Shots, c.Corruption ?? "", c.Severity, Quote(c.LabelMap), c.Seeds[s], R(c.Top1[s]), R(c.Gain[s]), c.NTest));
        return sb.ToString();
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
