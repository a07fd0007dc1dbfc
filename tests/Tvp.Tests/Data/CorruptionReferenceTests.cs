using Tvp.Data;
using static TorchSharp.torch;

namespace Tvp.Tests.Data;

/// <summary>
/// Reference values for the corruptions that <see cref="CorruptionsTests"/> only property-checks, computed here by
/// plain loops straight from the CIFAR-10-C definitions (Hendrycks and Dietterich, make_cifar_c.py: cv2.filter2D
/// with the anti-aliased disk, scipy.ndimage.zoom order 1, Pillow BOX resizing, ImageMagick's motion-blur kernel,
/// skimage's gaussian), with the severity tables written out again from the paper's code. Nothing here calls the
/// library's filters: a wrong formula, border rule or table entry fails these tests.
/// Random corruptions draw the same numbers as the library (its documented seeding: SplitMix64 of the seed, torch
/// generators seeded from it), so the reference can follow the same draws; the formulas around them are this file's.
/// The reference code's intermediate 8-bit PNG/Pillow round trips are left out where the library leaves them out
/// (documented in <see cref="Corruptions"/>); where both truncate to 8 bits (glass blur, the snow layer), float32
/// vs float64 can put a value on the other side of an integer, so those two compare within 2.5/255.
/// </summary>
public class CorruptionReferenceTests
{
    private const int N = 32;

    // The CIFAR-10-C tables (make_cifar_c.py), copied independently of src/Tvp/Data/Corruptions.
    private static readonly (double Radius, double Alias)[] DefocusTable = { (0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1) };
    private static readonly double[] ZoomStops = { 1.06, 1.11, 1.16, 1.21, 1.26 };             // np.arange(1, stop, 0.01)
    private static readonly double[] PixelateTable = { 0.95, 0.9, 0.85, 0.75, 0.65 };
    private static readonly (double Radius, double Sigma)[] MotionTable = { (6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5) };
    private static readonly (double Sigma, int Delta, int Iterations)[] GlassTable = { (0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2) };
    private static readonly double[] SpeckleTable = { 0.06, 0.1, 0.12, 0.16, 0.2 };
    private static readonly (double Amount, double Decay)[] FogTable = { (0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75) };
    private static readonly int[] JpegTable = { 80, 65, 58, 50, 40 };
    private static readonly (double Loc, double Scale, double Zoom, double Threshold, double Radius, double Sigma, double Keep)[] SnowTable =
    {
        (0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
        (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85), (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
    };

    public static TheoryData<int> Severities() => new() { 1, 2, 3, 4, 5 };

    /// <summary>A crafted 32×32 image: smooth ramps in red and green, a hard-edged 5-px checkerboard in blue, one bright dot.</summary>
    private static double[,,] Scene()
    {
        var img = new double[3, N, N];
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
            {
                img[0, y, x] = 0.1 + 0.8 * x / (N - 1);
                img[1, y, x] = 0.9 - 0.7 * y / (N - 1) * (x % 3 == 0 ? 1 : 0.5);
                img[2, y, x] = ((x / 5) + (y / 5)) % 2 == 0 ? 0.15 : 0.85;
            }
        img[0, 10, 20] = img[1, 10, 20] = img[2, 10, 20] = 1;
        return img;
    }

    private static Tensor ToTensor(double[,,] img)
    {
        var flat = new float[3 * N * N];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    flat[(c * N + y) * N + x] = (float)img[c, y, x];
        return tensor(flat, new long[] { 3, N, N });
    }

    /// <summary>Both images as float32 (the library's precision) and the largest absolute difference after clipping the reference to [0,1].</summary>
    private static double MaxDiff(Tensor actual, double[,,] expected)
    {
        var a = actual.contiguous().data<float>().ToArray();
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    worst = Math.Max(worst, Math.Abs(a[(c * N + y) * N + x] - Math.Clamp(expected[c, y, x], 0, 1)));
        return worst;
    }

    private static double[,,] Scene32() => ToDouble(ToTensor(Scene()));   // the scene as the library sees it (float32)

    private static double[,,] ToDouble(Tensor t)
    {
        var a = t.contiguous().data<float>().ToArray();
        var img = new double[3, N, N];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    img[c, y, x] = a[(c * N + y) * N + x];
        return img;
    }

    /// <summary>OpenCV's default border, BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba).</summary>
    private static int Reflect101(int i, int n) => i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;

    private static int Clamp(int i, int n) => Math.Clamp(i, 0, n - 1);

    // ---------------------------------------------------------------- defocus_blur

    /// <summary>make_cifar_c's disk(radius, alias_blur): a 17×17 (radius ≤ 8) disk X²+Y² ≤ r², normalised, then
    /// cv2.GaussianBlur with ksize 3 and σ = alias_blur (reflect-101 border).</summary>
    private static double[,] Disk(double radius, double alias)
    {
        const int L = 8, S = 2 * L + 1;
        var disk = new double[S, S];
        double sum = 0;
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++)
                sum += disk[i, j] = (i - L) * (i - L) + (j - L) * (j - L) <= radius * radius ? 1 : 0;
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++)
                disk[i, j] /= sum;
        var g = new double[3];
        for (int k = 0; k < 3; k++) g[k] = Math.Exp(-(k - 1) * (k - 1) / (2 * alias * alias));
        double gs = g.Sum();
        var blurred = new double[S, S];
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++)
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++)
                        blurred[i, j] += g[a] / gs * g[b] / gs * disk[Reflect101(i + a - 1, S), Reflect101(j + b - 1, S)];
        return blurred;
    }

    [Theory]
    [MemberData(nameof(Severities))]
    public void DefocusBlur_IsTheAliasedDiskFilter(int severity)
    {
        var (radius, alias) = DefocusTable[severity - 1];
        var k = Disk(radius, alias);
        var img = Scene32();
        var expected = new double[3, N, N];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    for (int i = 0; i < 17; i++)
                        for (int j = 0; j < 17; j++)
                            expected[c, y, x] += k[i, j] * img[c, Reflect101(y + i - 8, N), Reflect101(x + j - 8, N)];
        using var actual = Corruptions.Apply(ToTensor(Scene()), "defocus_blur", severity, 5);
        Assert.InRange(MaxDiff(actual, expected), 0, 1e-5);
    }

    // ---------------------------------------------------------------- zoom_blur

    /// <summary>make_cifar_c's clipped_zoom on one channel: centre crop ⌈h/z⌉, scipy.ndimage.zoom order 1
    /// (output round(ch·z), input coordinate o·(ch−1)/(out−1)), trimmed back to h around the centre.</summary>
    private static double[,] ClippedZoom(double[,] img, double z)
    {
        int h = img.GetLength(0);
        int ch = (int)Math.Ceiling(h / z), top = (h - ch) / 2;
        int o = (int)Math.Round(ch * z, MidpointRounding.ToEven);
        var big = new double[o, o];
        double scale = o > 1 ? (ch - 1.0) / (o - 1.0) : 0;
        for (int y = 0; y < o; y++)
            for (int x = 0; x < o; x++)
            {
                double sy = y * scale, sx = x * scale;
                int y0 = Math.Min((int)Math.Floor(sy), ch - 1), x0 = Math.Min((int)Math.Floor(sx), ch - 1);
                int y1 = Math.Min(y0 + 1, ch - 1), x1 = Math.Min(x0 + 1, ch - 1);
                double fy = sy - y0, fx = sx - x0;
                double Px(int yy, int xx) => img[top + yy, top + xx];
                big[y, x] = (1 - fy) * ((1 - fx) * Px(y0, x0) + fx * Px(y0, x1)) + fy * ((1 - fx) * Px(y1, x0) + fx * Px(y1, x1));
            }
        int trim = (o - h) / 2;
        var result = new double[h, h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < h; x++)
                result[y, x] = big[trim + y, trim + x];
        return result;
    }

    private static double[,] Channel(double[,,] img, int c)
    {
        var ch = new double[N, N];
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
                ch[y, x] = img[c, y, x];
        return ch;
    }

    [Theory]
    [MemberData(nameof(Severities))]
    public void ZoomBlur_IsTheMeanOfTheImageAndItsClippedZooms(int severity)
    {
        // np.arange(1, stop, 0.01): ceil((stop − 1)/0.01) factors 1 + 0.01·i.
        int count = (int)Math.Ceiling((ZoomStops[severity - 1] - 1) / 0.01);
        var img = Scene32();
        var expected = new double[3, N, N];
        for (int c = 0; c < 3; c++)
        {
            var channel = Channel(img, c);
            var sum = (double[,])channel.Clone();
            for (int i = 0; i < count; i++)
            {
                var zoomed = ClippedZoom(channel, 1 + i * 0.01);
                for (int y = 0; y < N; y++)
                    for (int x = 0; x < N; x++)
                        sum[y, x] += zoomed[y, x];
            }
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    expected[c, y, x] = sum[y, x] / (count + 1);
        }
        using var actual = Corruptions.Apply(ToTensor(Scene()), "zoom_blur", severity, 5);
        Assert.InRange(MaxDiff(actual, expected), 0, 1e-5);
    }

    // ---------------------------------------------------------------- pixelate

    /// <summary>Pillow's BOX resize along one axis: output sample o averages the input samples whose centres
    /// i + ½ lie in (o·s, (o+1)·s], s = in/out; when enlarging, that is the one sample under the output centre.</summary>
    private static double[] BoxResize(double[] src, int outSize)
    {
        double s = (double)src.Length / outSize;
        var dst = new double[outSize];
        for (int o = 0; o < outSize; o++)
        {
            if (s <= 1) { dst[o] = src[Math.Min((int)Math.Floor((o + 0.5) * s), src.Length - 1)]; continue; }
            double sum = 0;
            int n = 0;
            for (int i = 0; i < src.Length; i++)
                if (i + 0.5 > o * s && i + 0.5 <= (o + 1) * s) { sum += src[i]; n++; }
            dst[o] = sum / n;
        }
        return dst;
    }

    private static double[,] Resize2D(double[,] img, int size)
    {
        int h = img.GetLength(0), w = img.GetLength(1);
        var rows = new double[h, size];
        for (int y = 0; y < h; y++)
        {
            var r = BoxResize(Enumerable.Range(0, w).Select(x => img[y, x]).ToArray(), size);
            for (int x = 0; x < size; x++) rows[y, x] = r[x];
        }
        var result = new double[size, size];
        for (int x = 0; x < size; x++)
        {
            var col = BoxResize(Enumerable.Range(0, h).Select(y => rows[y, x]).ToArray(), size);
            for (int y = 0; y < size; y++) result[y, x] = col[y];
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(Severities))]
    public void Pixelate_IsABoxDownscaleToTheTableSizeAndBack(int severity)
    {
        int small = (int)(N * PixelateTable[severity - 1]);
        var img = Scene32();
        var expected = new double[3, N, N];
        for (int c = 0; c < 3; c++)
        {
            var back = Resize2D(Resize2D(Channel(img, c), small), N);
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    expected[c, y, x] = back[y, x];
        }
        using var actual = Corruptions.Apply(ToTensor(Scene()), "pixelate", severity, 5);
        Assert.InRange(MaxDiff(actual, expected), 0, 1e-5);
    }

    // ---------------------------------------------------------------- motion_blur

    /// <summary>ImageMagick's MotionBlurImage: width 2⌈r⌉+1, weights exp(−i²/2σ²) normalised, tap i at
    /// (⌈i·cos θ − ½⌉, ⌈i·sin θ − ½⌉) from the pixel, edge pixels repeated beyond the border.</summary>
    private static double[,] MotionBlur(double[,] img, double radius, double sigma, double degrees)
    {
        int h = img.GetLength(0), w = img.GetLength(1), width = 2 * (int)Math.Ceiling(radius) + 1;
        var k = Enumerable.Range(0, width).Select(i => Math.Exp(-(double)i * i / (2 * sigma * sigma))).ToArray();
        double total = k.Sum();
        double th = degrees * Math.PI / 180;
        var result = new double[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int i = 0; i < width; i++)
                {
                    int dx = (int)Math.Ceiling(i * Math.Cos(th) - 0.5), dy = (int)Math.Ceiling(i * Math.Sin(th) - 0.5);
                    result[y, x] += k[i] / total * img[Clamp(y + dy, h), Clamp(x + dx, w)];
                }
        return result;
    }

    private static SplitMix64 Draws(long seed) => new(SplitMix64.Mix((ulong)seed));   // Corruptions.Apply's documented stream

    [Theory]
    [MemberData(nameof(Severities))]
    public void MotionBlur_IsImageMagicksKernelAtTheDrawnAngle(int severity)
    {
        var (radius, sigma) = MotionTable[severity - 1];
        double angle = Draws(9).Uniform(-45, 45);
        var img = Scene32();
        var expected = new double[3, N, N];
        for (int c = 0; c < 3; c++)
        {
            var b = MotionBlur(Channel(img, c), radius, sigma, angle);
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    expected[c, y, x] = b[y, x];
        }
        using var actual = Corruptions.Apply(ToTensor(Scene()), "motion_blur", severity, 9);
        Assert.InRange(MaxDiff(actual, expected), 0, 1e-5);
    }

    [Fact]
    public void MotionBlur_ImpulseKeepsTheFirstTapWeight_WhateverTheAngle()
    {
        // A dot far from the border: every tap but i = 0 moves off it, so the dot keeps weight 1/Σ exp(−i²/2σ²).
        for (int severity = 1; severity <= 5; severity++)
        {
            var (radius, sigma) = MotionTable[severity - 1];
            double total = Enumerable.Range(0, 2 * (int)Math.Ceiling(radius) + 1).Sum(i => Math.Exp(-(double)i * i / (2 * sigma * sigma)));
            using var dot = zeros(3, N, N);
            dot[.., 16, 16] = tensor(1f);
            using var blurred = Corruptions.Apply(dot, "motion_blur", severity, 100 + severity);
            Assert.Equal(1 / total, blurred[0, 16, 16].item<float>(), 5);
            Assert.Equal(1.0, blurred[0].sum().item<float>(), 4);
        }
    }

    // ---------------------------------------------------------------- glass_blur

    /// <summary>skimage.filters.gaussian(σ) on one channel: scipy's truncate 4 (radius ⌊4σ + ½⌋), 'nearest' border.</summary>
    private static double[,] Gaussian(double[,] img, double sigma)
    {
        int n = img.GetLength(0), r = (int)(4 * sigma + 0.5);
        var k = Enumerable.Range(-r, 2 * r + 1).Select(i => Math.Exp(-0.5 * i * i / (sigma * sigma))).ToArray();
        double s = k.Sum();
        var result = new double[n, n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                for (int a = -r; a <= r; a++)
                    for (int b = -r; b <= r; b++)
                        result[y, x] += k[a + r] / s * k[b + r] / s * img[Clamp(y + a, n), Clamp(x + b, n)];
        return result;
    }

    [Theory]
    [MemberData(nameof(Severities))]
    public void GlassBlur_FollowsTheReferenceShuffle(int severity)
    {
        var (sigma, delta, iterations) = GlassTable[severity - 1];
        var img = Scene32();
        // x = uint8(gaussian(x, σ) · 255)  (truncating)
        var u8 = new double[3, N, N];
        for (int c = 0; c < 3; c++)
        {
            var g = Gaussian(Channel(img, c), sigma);
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    u8[c, y, x] = Math.Floor(Math.Clamp(g[y, x], 0, 1) * 255);
        }
        // for h, w in range(N − δ, δ, −1): dx, dy = randint(−δ, δ); x[h, w] = x[h + dy, w + dx] (numpy views: a copy, not a swap)
        var rng = Draws(21);
        for (int it = 0; it < iterations; it++)
            for (int h = N - delta; h > delta; h--)
                for (int w = N - delta; w > delta; w--)
                {
                    int dx = rng.NextInt(-delta, delta), dy = rng.NextInt(-delta, delta);
                    for (int c = 0; c < 3; c++) u8[c, h, w] = u8[c, h + dy, w + dx];
                }
        var expected = new double[3, N, N];
        for (int c = 0; c < 3; c++)
        {
            var ch = Channel(u8, c);
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    ch[y, x] /= 255;
            var g = Gaussian(ch, sigma);
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    expected[c, y, x] = g[y, x];
        }
        using var actual = Corruptions.Apply(ToTensor(Scene()), "glass_blur", severity, 21);
        Assert.InRange(MaxDiff(actual, expected), 0, 2.5 / 255);
    }

    // ---------------------------------------------------------------- speckle_noise

    [Theory]
    [MemberData(nameof(Severities))]
    public void SpeckleNoise_IsXPlusXTimesScaledNormalNoise(int severity)
    {
        var img = Scene32();
        using var g = new TorchSharp.torch.Generator(Draws(33).NextSeed());
        var n = randn(new long[] { 3, N, N }, generator: g).data<float>().ToArray();
        var expected = new double[3, N, N];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    expected[c, y, x] = img[c, y, x] + img[c, y, x] * n[(c * N + y) * N + x] * SpeckleTable[severity - 1];
        using var actual = Corruptions.Apply(ToTensor(Scene()), "speckle_noise", severity, 33);
        Assert.InRange(MaxDiff(actual, expected), 0, 1e-5);
    }

    // ---------------------------------------------------------------- fog

    [Theory]
    [MemberData(nameof(Severities))]
    public void Fog_AddsTheScaledPlasmaAndRescalesToTheMaximum(int severity)
    {
        // x += c·plasma_fractal(mapsize 32, wibbledecay)[:32, :32]; x·max/(max + c). The map generator is the
        // library's (its own properties are tested apart); the haze formula and the table are checked here.
        var (amount, decay) = FogTable[severity - 1];
        var img = Scene32();
        var map = PlasmaFractal.Generate(N, decay, Draws(44));
        double max = img.Cast<double>().Max();
        var expected = new double[3, N, N];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < N; y++)
                for (int x = 0; x < N; x++)
                    expected[c, y, x] = (img[c, y, x] + amount * map[y, x]) * max / (max + amount);
        using var actual = Corruptions.Apply(ToTensor(Scene()), "fog", severity, 44);
        Assert.InRange(MaxDiff(actual, expected), 0, 1e-5);
    }

    // ---------------------------------------------------------------- snow

    [Theory]
    [MemberData(nameof(Severities))]
    public void Snow_IsTheReferenceLayerPipeline(int severity)
    {
        var p = SnowTable[severity - 1];
        var img = Scene32();
        var rng = Draws(55);
        float[] normal;
        using (var g = new TorchSharp.torch.Generator(rng.NextSeed()))
            normal = randn(new long[] { 1, N, N }, generator: g).data<float>().ToArray();
        var layer = new double[N, N];
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
                layer[y, x] = normal[y * N + x] * p.Scale + p.Loc;                        // np.random.normal(loc, scale)
        layer = ClippedZoom(layer, p.Zoom);
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
            {
                if (layer[y, x] < p.Threshold) layer[y, x] = 0;
                layer[y, x] = Math.Floor(Math.Clamp(layer[y, x], 0, 1) * 255) / 255;      // (clip · 255).astype(uint8)
            }
        layer = MotionBlur(layer, p.Radius, p.Sigma, rng.Uniform(-135, -45));
        var expected = new double[3, N, N];
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
            {
                double grey = 0.299 * img[0, y, x] + 0.587 * img[1, y, x] + 0.114 * img[2, y, x];   // cv2 RGB2GRAY
                for (int c = 0; c < 3; c++)
                {
                    double whitened = p.Keep * img[c, y, x] + (1 - p.Keep) * Math.Max(img[c, y, x], grey * 1.5 + 0.5);
                    expected[c, y, x] = whitened + layer[y, x] + layer[N - 1 - y, N - 1 - x];  // + np.rot90(layer, 2)
                }
            }
        using var actual = Corruptions.Apply(ToTensor(Scene()), "snow", severity, 55);
        Assert.InRange(MaxDiff(actual, expected), 0, 2.5 / 255);
    }

    // ---------------------------------------------------------------- jpeg_compression

    [Theory]
    [MemberData(nameof(Severities))]
    public void Jpeg_IsARoundTripAtTheTableQuality(int severity)
    {
        // The reference saves with Pillow at quality c; tvp's encoder is stb_image_write, so the reference here is
        // stb's encode/decode at the table's quality (the table is what this checks; the codec is a documented difference).
        var img = Scene32();
        var rgb = new byte[N * N * 3];
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * N + x) * 3 + c] = (byte)MathF.Round(Math.Clamp((float)img[c, y, x], 0f, 1f) * 255f, MidpointRounding.ToEven); // float32, as stored
        using var ms = new MemoryStream();
        new StbImageWriteSharp.ImageWriter().WriteJpg(rgb, N, N, StbImageWriteSharp.ColorComponents.RedGreenBlue, ms, JpegTable[severity - 1]);
        var decoded = StbImageSharp.ImageResult.FromMemory(ms.ToArray(), StbImageSharp.ColorComponents.RedGreenBlue).Data;
        var expected = new double[3, N, N];
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
                for (int c = 0; c < 3; c++)
                    expected[c, y, x] = decoded[(y * N + x) * 3 + c] / 255.0;
        using var actual = Corruptions.Apply(ToTensor(Scene()), "jpeg_compression", severity, 5);
        Assert.InRange(MaxDiff(actual, expected), 0, 1e-6);
    }
}
