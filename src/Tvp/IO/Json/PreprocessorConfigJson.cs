using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tvp.IO.Json;

/// <summary>
/// An HF <c>preprocessor_config.json</c> (<c>CLIPImageProcessor</c> / <c>BlipImageProcessor</c> fields), read with
/// <see cref="ConfigJson"/>. Every member optional; the meaning of absent members is the reader's.
/// </summary>
/// <param name="Size">size: a number (the shortest edge, older configs) or {shortest_edge} or {height, width}.</param>
/// <param name="DoResize">do_resize.</param>
/// <param name="DoCenterCrop">do_center_crop.</param>
/// <param name="CropSize">crop_size: a number or {height, width}.</param>
/// <param name="DoNormalize">do_normalize.</param>
/// <param name="ImageMean">image_mean.</param>
/// <param name="ImageStd">image_std.</param>
/// <param name="Resample">resample: PIL filter number (2 bilinear, 3 bicubic).</param>
internal sealed record PreprocessorConfigJson(
    [property: JsonConverter(typeof(PreprocessorConfigJson.SizeConverter))] PreprocessorConfigJson.SizeJson? Size,
    bool? DoResize, bool? DoCenterCrop,
    [property: JsonConverter(typeof(PreprocessorConfigJson.SizeConverter))] PreprocessorConfigJson.SizeJson? CropSize,
    bool? DoNormalize, IReadOnlyList<double>? ImageMean, IReadOnlyList<double>? ImageStd, int? Resample)
{
    /// <summary>Reads <paramref name="path"/>; errors name the file and the field.</summary>
    public static PreprocessorConfigJson Read(string path) => ConfigJson.ReadFile<PreprocessorConfigJson>(path);

    /// <summary>A size: <see cref="Square"/> when written as a bare number, else the object's members.</summary>
    /// <param name="ShortestEdge">shortest_edge.</param>
    /// <param name="Height">height.</param>
    /// <param name="Width">width.</param>
    /// <param name="Square">The bare number, when the size was written as one.</param>
    public sealed record SizeJson(int? ShortestEdge, int? Height, int? Width, [property: JsonIgnore] int? Square = null);

    /// <summary>Reads a size written as a number or as an object.</summary>
    public sealed class SizeConverter : JsonConverter<SizeJson>
    {
        /// <inheritdoc/>
        public override SizeJson? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number)
                return new SizeJson(null, null, null, new StrictInt32Converter().Read(ref reader, typeof(int), options));
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var raw = JsonFieldException.Raw(ref reader);
                reader.Skip();
                throw new JsonFieldException($"should be a number or an object, got {raw}");
            }
            var o = JsonSerializer.Deserialize<ObjectJson>(ref reader, options);
            return o is null ? null : new SizeJson(o.ShortestEdge, o.Height, o.Width);
        }

        /// <inheritdoc/>
        public override void Write(Utf8JsonWriter writer, SizeJson value, JsonSerializerOptions options)
        {
            if (value.Square is int n) writer.WriteNumberValue(n);
            else JsonSerializer.Serialize(writer, new ObjectJson(value.ShortestEdge, value.Height, value.Width), options);
        }

        private sealed record ObjectJson(int? ShortestEdge, int? Height, int? Width);
    }
}
