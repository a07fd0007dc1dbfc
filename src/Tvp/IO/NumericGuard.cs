using static TorchSharp.torch;

namespace Tvp.IO;

/// <summary>Finite-value checks used by the trainer and by everything that writes a checkpoint or prompt.</summary>
public static class NumericGuard
{
    /// <summary>True when every element of <paramref name="t"/> is finite.</summary>
    public static bool AllFinite(Tensor t)
    {
        using var _ = no_grad();
        using var finite = isfinite(t);
        using var all = finite.all();
        return all.item<bool>();
    }

    /// <summary>True when every value is finite.</summary>
    public static bool AllFinite(params double[] values) => values.All(double.IsFinite);

    /// <summary>Throws an <see cref="InvalidDataException"/> naming <paramref name="what"/> when a tensor holds NaN/Inf.</summary>
    public static void RequireFinite(Tensor t, string what)
    {
        if (!AllFinite(t)) throw new InvalidDataException($"{what} holds non-finite values (NaN or Inf)");
    }
}
