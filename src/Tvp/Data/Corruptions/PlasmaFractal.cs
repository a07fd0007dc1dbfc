namespace Tvp.Data;

/// <summary>
/// The diamond–square height map of the fog corruption (Hendrycks and Dietterich's <c>plasma_fractal</c>): a
/// mapsize×mapsize map (power of two, wrapping around), each level's midpoints the mean of their neighbours plus
/// uniform noise in ±wibble², wibble divided by <c>wibbleDecay</c> per level; normalised to [0, 1].
/// </summary>
internal static class PlasmaFractal
{
    public static double[,] Generate(int mapSize, double wibbleDecay, SplitMix64 rng)
    {
        if (mapSize < 2 || (mapSize & (mapSize - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(mapSize), mapSize, "must be a power of two ≥ 2");
        var map = new double[mapSize, mapSize];
        int step = mapSize;
        double wibble = 100;
        double Wibbled(double sum) => sum / 4 + wibble * rng.Uniform(-wibble, wibble);

        while (step >= 2)
        {
            int n = mapSize / step, half = step / 2;
            // Squares: the centre of each square of corners `step` apart.
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    int i1 = (i + 1) % n, j1 = (j + 1) % n;
                    double sum = map[i * step, j * step] + map[i1 * step, j * step] + map[i * step, j1 * step] + map[i1 * step, j1 * step];
                    map[i * step + half, j * step + half] = Wibbled(sum);
                }
            // Diamonds: the edge midpoints, from the two adjacent centres and the two corners of the edge.
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    int iUp = (i - 1 + n) % n, j1 = (j + 1) % n;
                    double top = map[i * step + half, j * step + half] + map[iUp * step + half, j * step + half]
                               + map[i * step, j * step] + map[i * step, j1 * step];
                    map[i * step, j * step + half] = Wibbled(top);
                }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    int jLeft = (j - 1 + n) % n, i1 = (i + 1) % n;
                    double left = map[i * step + half, j * step + half] + map[i * step + half, jLeft * step + half]
                                + map[i * step, j * step] + map[i1 * step, j * step];
                    map[i * step + half, j * step] = Wibbled(left);
                }
            step /= 2;
            wibble /= wibbleDecay;
        }

        double min = double.MaxValue, max = double.MinValue;
        foreach (var v in map) { min = Math.Min(min, v); max = Math.Max(max, v); }
        double range = max - min;
        for (int i = 0; i < mapSize; i++)
            for (int j = 0; j < mapSize; j++)
                map[i, j] = range > 0 ? (map[i, j] - min) / range : 0;
        return map;
    }
}
