using System.Text.Json;
using Disco.Geo.Engine;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// The TileJSON 3.0.0 document of a finished prediction in one tile matrix set (what MapLibre's raster source and
/// TiTiler's /tilejson.json give): the tile URL template, zooms, bounds and centre, plus a "legend" member (TileJSON
/// allows extra members) with the class names and colours of a class map, or the colour ramp and value range of a
/// continuous map.
/// </summary>
internal static class TileJsonDocument
{
    public static byte[] Write(string baseUrl, PredictionMap map, string tileMatrixSet, string format, MapLegend legend)
    {
        int maxZoom = TileMatrixSets.MaxZoomFor(tileMatrixSet, map.Grid.NLon);
        double latitudeLimit = tileMatrixSet == TileMatrixSets.WebMercatorQuad ? TileMatrixSets.MercatorMaxLatitude : 90;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("tilejson", "3.0.0");
            json.WriteString("name", map.PredictionId);
            json.WriteString("description", Description(map));
            json.WriteString("version", "1.0.0");
            json.WriteString("scheme", "xyz");
            json.WriteStartArray("tiles");
            json.WriteStringValue($"{baseUrl}/tiles/{map.PredictionId}/{tileMatrixSet}/{{z}}/{{x}}/{{y}}.{format}");
            json.WriteEndArray();
            json.WriteNumber("minzoom", 0);
            json.WriteNumber("maxzoom", maxZoom);
            json.WriteStartArray("bounds");
            foreach (double value in (double[])[-180, -latitudeLimit, 180, latitudeLimit])
            {
                json.WriteNumberValue(value);
            }

            json.WriteEndArray();
            json.WriteStartArray("center");
            json.WriteNumberValue(0);
            json.WriteNumberValue(0);
            json.WriteNumberValue(0);
            json.WriteEndArray();
            json.WriteString("tileMatrixSet", tileMatrixSet);
            WriteLegend(json, legend);
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static string Description(PredictionMap map)
    {
        string model = map.Model.Name.Length > 0 ? map.Model.Name : map.Model.Id;
        string task = map.Model.Task.Length > 0 ? $" ({map.Model.Task})" : "";
        return $"Prediction {map.PredictionId} of model {model}{task} on a {map.Grid.NLat}x{map.Grid.NLon} grid";
    }

    private static void WriteLegend(Utf8JsonWriter json, MapLegend legend)
    {
        json.WriteStartObject("legend");
        json.WriteString("band", legend.Band);
        if (legend.IsCategorical)
        {
            json.WriteString("type", "classes");
            json.WriteStartArray("classes");
            foreach (LegendClass item in legend.Classes)
            {
                json.WriteStartObject();
                json.WriteNumber("value", item.Id);
                json.WriteString("name", item.Name);
                json.WriteString("color", item.Color);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }
        else
        {
            // The ramp is linear between the stops and clamped outside [min, max]; min and max are the map's own range.
            json.WriteString("type", "ramp");
            json.WriteString("colormap", legend.ColorMap);
            json.WriteNumber("min", legend.Minimum);
            json.WriteNumber("max", legend.Maximum);
            json.WriteStartArray("stops");
            foreach (LegendStop stop in legend.Stops)
            {
                json.WriteStartObject();
                json.WriteNumber("value", stop.Value);
                json.WriteString("color", stop.Color);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }
}
