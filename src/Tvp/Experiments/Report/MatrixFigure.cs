using System.Globalization;
using ScottPlot;

namespace Tvp.Experiments.Report;

/// <summary>
/// A transfer-matrix heatmap: rows are prompts ("none" first), columns are models, colour is top-1 %, and each
/// cell is annotated with its top-1 and its gain over the same model without a prompt.
/// </summary>
internal static class MatrixFigure
{
    /// <summary>Writes the heatmap of <paramref name="matrix"/> to <paramref name="path"/>.</summary>
    public static void Write(MatrixView matrix, string path)
    {
        int rows = matrix.Prompts.Count, cols = matrix.Models.Count;
        var top1 = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                top1[i, j] = matrix.Cell(matrix.Prompts[i], matrix.Models[j]) is { } c ? 100 * c.Top1 : double.NaN;
        var present = top1.Cast<double>().Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).ToArray();
        double lo = present.Min(), hi = present.Max();
        if (hi - lo < 1) { lo -= 0.5; hi += 0.5; }

        var plot = new Plot();
        FigureStyle.Apply(plot);
        var heat = plot.Add.Heatmap(top1);
        heat.Colormap = new ScottPlot.Colormaps.Viridis();
        heat.ManualRange = new ScottPlot.Range(lo, hi);
        heat.NaNCellColor = Colors.LightGray;
        heat.Rectangle = new CoordinateRect(0, cols, 0, rows);          // cell (i, j) spans [j, j+1] × [rows−i−1, rows−i]: row 0 ("none") at the top
        heat.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
        var bar = plot.Add.ColorBar(heat);
        bar.Label = "top-1 %";
        bar.LabelStyle.FontSize = 12;
        bar.LabelStyle.Bold = false;

        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                var cell = matrix.Cell(matrix.Prompts[i], matrix.Models[j]);
                var text = cell is null ? "–" : Pct(cell.Top1) + (cell.Gain is double g && matrix.Prompts[i] != "none" ? "\n" + Signed(g) : "");
                var label = plot.Add.Text(text, j + 0.5, rows - i - 0.5);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontSize = cols > 6 ? 11 : 14;
                label.LabelBold = cell?.Gain is not null && matrix.Prompts[i] != "none";
                double t = double.IsNaN(top1[i, j]) ? 1 : (top1[i, j] - lo) / (hi - lo);
                label.LabelFontColor = t > 0.6 ? Colors.Black : Colors.White;  // viridis is light at the top
            }

        var xs = Enumerable.Range(0, cols).Select(j => j + 0.5).ToArray();
        var xLabels = matrix.Models.Select(m => $"{m}\n({matrix.Role(m)})").ToArray();
        plot.Axes.Bottom.SetTicks(xs, xLabels);
        var ys = Enumerable.Range(0, rows).Select(i => rows - i - 0.5).ToArray();
        plot.Axes.Left.SetTicks(ys, matrix.Prompts.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.SetLimits(0, cols, 0, rows);
        plot.HideGrid();
        plot.Title(matrix.Title ?? "Transfer matrix: top-1 % (gain over no prompt)");
        plot.XLabel("model");
        plot.YLabel("prompt");

        int longest = Math.Max(6, matrix.Prompts.Max(p => p.Length));
        int width = Math.Clamp(200 + 7 * longest + 130 * cols, 480, 2000);
        int height = Math.Clamp(170 + 72 * rows, 280, 1400);
        FigureStyle.Save(plot, path, width, height);
    }

    private static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
    private static string Signed(double v) => (v >= 0 ? "+" : "−") + Math.Abs(100 * v).ToString("F2", CultureInfo.InvariantCulture);
}
