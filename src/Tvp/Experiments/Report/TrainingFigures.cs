using ScottPlot;

namespace Tvp.Experiments.Report;

/// <summary>
/// Training curves from metrics.jsonl: the loss terms against step (one panel each for the task loss with the
/// total objective, FCA and the TSE similarity, each present only when logged non-zero) and validation top-1.
/// </summary>
internal static class TrainingFigures
{
    /// <summary>Writes the loss panels; false when there are no step lines.</summary>
    public static bool WriteLoss(MetricsLog log, string path)
    {
        var steps = log.Steps;
        if (steps.Count == 0) return false;
        var x = steps.Select(s => (double)s.Step).ToArray();
        var panels = new List<Action<Plot>>
        {
            p =>
            {
                Line(p, x, steps.Select(s => s.Task).ToArray(), FigureStyle.Task, "task loss");
                if (steps.Any(s => s.Fca != 0 || s.Tse != 0))
                    Line(p, x, steps.Select(s => s.Loss).ToArray(), FigureStyle.Total, "objective L", dashed: true);
                p.YLabel("task");
                p.Title("Loss terms against step");
                p.ShowLegend(Alignment.UpperRight);
            },
        };
        if (steps.Any(s => s.Fca != 0))
            panels.Add(p => { Line(p, x, steps.Select(s => s.Fca).ToArray(), FigureStyle.Fca, null); p.YLabel("FCA ‖f(x+δ)−f(x)‖"); });
        if (steps.Any(s => s.Tse != 0))
            panels.Add(p => { Line(p, x, steps.Select(s => s.Tse).ToArray(), FigureStyle.Tse, null); p.YLabel("TSE similarity S"); });

        var multi = new Multiplot();
        multi.AddPlots(panels.Count);
        for (int i = 0; i < panels.Count; i++)
        {
            var plot = multi.GetPlot(i);
            FigureStyle.Apply(plot);
            panels[i](plot);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true, TickDensity = 0.6 };
            bool last = i == panels.Count - 1;
            if (last) plot.XLabel("step");
            // Same left/right padding in every panel so the data areas line up.
            plot.Layout.Fixed(new PixelPadding(left: 85, right: 20, bottom: last ? 50 : 28, top: i == 0 ? 40 : 12));
        }
        multi.SharedAxes.ShareX(multi.GetPlots());
        FigureStyle.Save(multi, path, 900, 60 + 230 * panels.Count);
        return true;
    }

    /// <summary>Writes validation top-1 % against step, kept (best-so-far) points marked; false without validation lines.</summary>
    public static bool WriteValidation(MetricsLog log, string path)
    {
        var vals = log.Validations;
        if (vals.Count == 0) return false;
        var plot = new Plot();
        FigureStyle.Apply(plot);
        var x = vals.Select(v => (double)v.Step).ToArray();
        Line(plot, x, vals.Select(v => 100 * v.Top1).ToArray(), FigureStyle.Validation, "validation top-1");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true, TickDensity = 0.6 };
        var best = vals.Where(v => v.Best).ToArray();
        if (best.Length > 0)
        {
            var kept = plot.Add.ScatterPoints(best.Select(v => (double)v.Step).ToArray(), best.Select(v => 100 * v.Top1).ToArray());
            kept.MarkerShape = MarkerShape.OpenCircle;
            kept.MarkerSize = 13;
            kept.Color = Colors.Black;
            kept.LegendText = "new best (kept)";
        }
        plot.Title("Validation top-1 against step");
        plot.XLabel("step");
        plot.YLabel("top-1 %");
        plot.ShowLegend(Alignment.LowerRight);
        FigureStyle.Save(plot, path, 900, 340);
        return true;
    }

    private static void Line(Plot plot, double[] x, double[] y, Color color, string? label, bool dashed = false)
    {
        var s = plot.Add.Scatter(x, y);
        s.Color = color;
        s.LineWidth = 2;
        s.MarkerSize = x.Length > 60 ? 0 : 4;
        s.LegendText = label ?? "";
        if (dashed) s.LinePattern = LinePattern.Dashed;
    }
}
