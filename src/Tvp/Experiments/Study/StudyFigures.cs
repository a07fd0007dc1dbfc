using ScottPlot;
using Tvp.Experiments.Report;

namespace Tvp.Experiments.Study;

/// <summary>
/// The study report's figures (ScottPlot, same look as the run report): gain bars with 95 % intervals per model ×
/// prompt, a Pareto plot of source gain vs mean target gain for prompt grids, and robustness heat maps.
/// </summary>
internal static class StudyFigures
{
    private static Color ColorOf(int i) => new ScottPlot.Palettes.Category10().GetColor(i);

    /// <summary>Grouped bars: x = models, one bar per prompt, height = mean gain (points), whiskers = 95 % t-interval.</summary>
    public static void GainBars(IReadOnlyList<StudyCell> cells, string title, string path)
    {
        var models = cells.Select(c => c.Model).Distinct().ToArray();
        var prompts = cells.Where(c => c.Prompt != StudyResults.NoPrompt).Select(c => c.Prompt).Distinct().ToArray();
        var plot = new Plot();
        FigureStyle.Apply(plot);
        double width = 0.8 / Math.Max(1, prompts.Length);
        var bars = new List<Bar>();
        for (int p = 0; p < prompts.Length; p++)
        {
            for (int m = 0; m < models.Length; m++)
            {
                if (cells.FirstOrDefault(c => c.Model == models[m] && c.Prompt == prompts[p]) is not { } c) continue;
                bars.Add(new Bar
                {
                    Position = m + (p - (prompts.Length - 1) / 2.0) * width,
                    Value = 100 * c.GainMean,
                    Error = c.GainCi95 is { } ci ? 100 * (ci[1] - c.GainMean) : 0,
                    FillColor = ColorOf(p),
                    Size = width * 0.9,
                });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = prompts[p], FillColor = ColorOf(p) });
        }
        plot.Add.Bars(bars);
        plot.Add.HorizontalLine(0, 1, Colors.Black.WithAlpha(0.5));
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, models.Length).Select(i => (double)i).ToArray(),
            models.Select(m => $"{m}\n({cells.First(c => c.Model == m).Role})").ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title(title);
        plot.YLabel("gain over no prompt (points), 95 % CI");
        FigureStyle.Save(plot, path, Math.Clamp(220 + 140 * models.Length, 520, 2000), 460);
    }

    /// <summary>Each prompt as a point (mean source gain, mean of the targets' mean gains).</summary>
    public static void Pareto(IReadOnlyList<(string Prompt, double SourceGain, double TargetGain)> points, string title, string path)
    {
        var plot = new Plot();
        FigureStyle.Apply(plot);
        for (int i = 0; i < points.Count; i++)
        {
            var mk = plot.Add.Marker(100 * points[i].SourceGain, 100 * points[i].TargetGain);
            mk.Color = ColorOf(0);
            mk.Size = 9;
            var t = plot.Add.Text(points[i].Prompt, 100 * points[i].SourceGain, 100 * points[i].TargetGain);
            t.LabelFontSize = 10;
            t.LabelOffsetX = 6;
        }
        plot.Title(title);
        plot.XLabel("source gain (points)");
        plot.YLabel("mean target gain (points)");
        FigureStyle.Save(plot, path, 720, 520);
    }

    /// <summary>Rows: corruptions; columns: severities; colour and text: mean gain (points).</summary>
    public static void Heatmap(IReadOnlyList<string> corruptions, IReadOnlyList<int> severities, Func<string, int, double?> gain, string title, string path)
    {
        int rows = corruptions.Count, cols = severities.Count;
        var values = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                values[i, j] = gain(corruptions[i], severities[j]) is double g ? 100 * g : double.NaN;
        var plot = new Plot();
        FigureStyle.Apply(plot);
        var heat = plot.Add.Heatmap(values);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        heat.NaNCellColor = Colors.LightGray;
        heat.Rectangle = new CoordinateRect(0, cols, 0, rows);
        heat.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
        var bar = plot.Add.ColorBar(heat);
        bar.Label = "gain (points)";
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                if (double.IsNaN(values[i, j])) continue;
                var label = plot.Add.Text(StudyResults.Points(values[i, j] / 100), j + 0.5, rows - i - 0.5);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontSize = 11;
                label.LabelFontColor = Colors.White;
            }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, cols).Select(j => j + 0.5).ToArray(), severities.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(i => rows - i - 0.5).ToArray(), corruptions.ToArray());
        plot.Axes.SetLimits(0, cols, 0, rows);
        plot.HideGrid();
        plot.Title(title);
        plot.XLabel("severity");
        FigureStyle.Save(plot, path, 200 + 90 * cols + 120, Math.Clamp(140 + 34 * rows, 300, 1400));
    }
}
