using ScottPlot;
using Tvp.IO;

namespace Tvp.Experiments.Report;

/// <summary>The look shared by the report's figures (ScottPlot, rendered headless through SkiaSharp) and their PNG output.</summary>
internal static class FigureStyle
{
    /// <summary>Line colours: task, FCA, TSE, validation (Tableau 10).</summary>
    public static readonly Color Task = Color.FromHex("#4E79A7"), Fca = Color.FromHex("#F28E2B"), Tse = Color.FromHex("#59A14F"),
        Validation = Color.FromHex("#E15759"), Total = Color.FromHex("#9C9C9C");

    /// <summary>A sans-serif font the machine has (DejaVu Sans on Debian), else ScottPlot's default.</summary>
    private static readonly Lazy<string?> SansFont = new(() =>
    {
        foreach (var name in new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", Fonts.Sans })
            if (Fonts.GetTypeface(name, false, false) is { } face && face.FamilyName == name) return name;
        return null;
    });

    /// <summary>Applies the shared font and sizes to <paramref name="plot"/>.</summary>
    public static void Apply(Plot plot)
    {
        if (SansFont.Value is { } font) plot.Font.Set(font);
        plot.Axes.Title.Label.FontSize = 15;
        plot.Axes.Title.Label.Bold = false;
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.FontSize = 13;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontSize = 11;
        }
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.08);
    }

    /// <summary>Renders <paramref name="plot"/> to a PNG file (atomically).</summary>
    public static void Save(Plot plot, string path, int width, int height) =>
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(width, height, ImageFormat.Png));

    /// <summary>Renders a multiplot to a PNG file (atomically).</summary>
    public static void Save(Multiplot multiplot, string path, int width, int height)
    {
        var image = multiplot.Render(width, height);
        AtomicFile.WriteAllBytes(path, image.GetImageBytes(ImageFormat.Png));
    }
}
