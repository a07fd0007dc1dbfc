using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.Experiments.Study;

/// <summary>A spec value written either as one value or as a list of values (a grid axis): <c>"fca": 0.5</c> or <c>"fca": [0, 0.005]</c>.</summary>
/// <typeparam name="T">Element type.</typeparam>
[JsonConverter(typeof(OneOrManyConverterFactory))]
public sealed class OneOrMany<T>
{
    /// <summary>The values (at least one).</summary>
    public IReadOnlyList<T> Values { get; }

    /// <summary>Wraps <paramref name="values"/>.</summary>
    public OneOrMany(params T[] values) => Values = values;
}

/// <summary>Reads and writes <see cref="OneOrMany{T}"/> (a scalar, or an array; written as an array).</summary>
internal sealed class OneOrManyConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(OneOrMany<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class Converter<T> : JsonConverter<OneOrMany<T>>
    {
        public override OneOrMany<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            try
            {
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    var list = JsonSerializer.Deserialize<T[]>(ref reader, options) ?? Array.Empty<T>();
                    if (list.Length == 0) throw new JsonException("an empty list (give at least one value)");
                    return new OneOrMany<T>(list);
                }
                return new OneOrMany<T>(JsonSerializer.Deserialize<T>(ref reader, options)!);
            }
            catch (JsonException e) when (e.InnerException is null && e.Path is { } path && (path == "$" || System.Text.RegularExpressions.Regex.IsMatch(path, @"^\$\[\d+\]$")))
            {
                // A value's own error (e.g. an unknown choice): rethrown without the nested call's root path so the
                // outer reader names the key it sits under.
                throw new JsonException(e.Message, e);
            }
        }

        public override void Write(Utf8JsonWriter writer, OneOrMany<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Values, options);
    }
}
