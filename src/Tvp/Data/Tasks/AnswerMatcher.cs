using System.Text;

namespace Tvp.Data.Tasks;

/// <summary>
/// Lenient matching of a generated answer against the right one (for open answers, e.g. counting):
/// lower-cased, punctuation dropped, number words mapped to digits ("three" → "3"); the answer matches
/// when its normalised words appear in the generated text's first words.
/// </summary>
public static class AnswerMatcher
{
    private static readonly Dictionary<string, string> Numbers = new(StringComparer.Ordinal)
    {
        ["zero"] = "0", ["none"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4", ["five"] = "5",
        ["six"] = "6", ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10", ["eleven"] = "11", ["twelve"] = "12",
        ["thirteen"] = "13", ["fourteen"] = "14", ["fifteen"] = "15", ["sixteen"] = "16", ["seventeen"] = "17",
        ["eighteen"] = "18", ["nineteen"] = "19", ["twenty"] = "20",
    };

    /// <summary>Lower-cased words without punctuation, number words as digits.</summary>
    public static IReadOnlyList<string> Normalise(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text.ToLowerInvariant()) sb.Append(char.IsLetterOrDigit(ch) ? ch : ' ');
        return sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => Numbers.TryGetValue(w, out var d) ? d : w).ToArray();
    }

    /// <summary>True when the right answer's words open the generated text (e.g. "There are three." matches "3").</summary>
    public static bool Matches(string generated, string answer)
    {
        var g = Normalise(generated);
        var a = Normalise(answer);
        if (a.Count == 0) return false;
        if (g.Take(a.Count).SequenceEqual(a)) return true;
        // Also accept the answer as the first number / the words anywhere in a short reply.
        for (int i = 0; i + a.Count <= g.Count; i++)
            if (g.Skip(i).Take(a.Count).SequenceEqual(a)) return g.Count <= a.Count + 6;
        return false;
    }
}
