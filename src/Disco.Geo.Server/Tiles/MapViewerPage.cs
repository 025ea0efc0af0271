using System.Globalization;
using System.Net;
using System.Text;
using Disco.Geo.Engine;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// GET /tiles/{predictionId}/viewer.html?z=N: a self-contained page that shows a finished prediction without any map
/// library: the WebMercatorQuad tiles of one zoom level as absolutely placed &lt;img&gt; elements (the whole world, 2^z
/// tiles a side) and the legend below them. The tiles are in the HTML itself, so the page's load event waits for
/// every tile (what a headless browser's screenshot waits for), and it works offline. For panning and zooming use
/// MapLibre or Leaflet with the TileJSON or XYZ URL.
/// </summary>
internal static class MapViewerPage
{
    public const int MaxViewerZoom = 4;

    public static byte[] Write(string baseUrl, PredictionMap map, int zoom, MapLegend legend)
    {
        int tiles = 1 << zoom;
        int size = tiles * TileMatrixSets.TileSize;
        string id = WebUtility.HtmlEncode(map.PredictionId);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{{id}}</title>
            <style>
            body { margin: 0; font: 13px sans-serif; background: #fff; }
            #map { position: relative; width: {{size}}px; height: {{size}}px; }
            #map img { position: absolute; width: 256px; height: 256px; }
            #legend { padding: 8px; }
            .swatch { display: inline-block; width: 14px; height: 14px; vertical-align: middle; margin-right: 4px; }
            </style>
            </head>
            <body>
            <div id="map">

            """);
        for (int y = 0; y < tiles; y++)
        {
            for (int x = 0; x < tiles; x++)
            {
                // A tile with no data is 404; hide it instead of showing a broken image.
                html.Append(CultureInfo.InvariantCulture,
                    $"<img alt=\"\" style=\"left:{x * 256}px;top:{y * 256}px\" onerror=\"this.style.visibility='hidden'\" src=\"{baseUrl}/tiles/{id}/{TileMatrixSets.WebMercatorQuad}/{zoom}/{x}/{y}.png\">\n");
            }
        }

        html.Append("</div>\n<div id=\"legend\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<div><b>{id}</b> ({WebUtility.HtmlEncode(legend.Band)})</div>\n");
        if (legend.IsCategorical)
        {
            foreach (LegendClass item in legend.Classes)
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<div><span class=\"swatch\" style=\"background:{item.Color}\"></span>{item.Id}: {WebUtility.HtmlEncode(item.Name)}</div>\n");
            }
        }
        else
        {
            double span = legend.Maximum - legend.Minimum;
            string gradient = string.Join(", ", legend.Stops.Select(s =>
                string.Create(CultureInfo.InvariantCulture, $"{s.Color} {(span > 0 ? (s.Value - legend.Minimum) / span * 100 : 0):0.##}%")));
            html.Append(CultureInfo.InvariantCulture,
                $"<div>{legend.Minimum:G6} <span style=\"display:inline-block;width:200px;height:14px;vertical-align:middle;background:linear-gradient(to right, {gradient})\"></span> {legend.Maximum:G6} ({WebUtility.HtmlEncode(legend.ColorMap)})</div>\n");
        }

        html.Append(CultureInfo.InvariantCulture,
            $"<div>Zoom {zoom} of 0..{MaxViewerZoom}: <a href=\"?z={Math.Max(0, zoom - 1)}\">out</a> <a href=\"?z={Math.Min(MaxViewerZoom, zoom + 1)}\">in</a>. TileJSON: <a href=\"{baseUrl}/tiles/{id}/tilejson.json\">tilejson.json</a>, WMTS: <a href=\"{baseUrl}/tiles/{id}/WMTSCapabilities.xml\">WMTSCapabilities.xml</a></div>\n");
        html.Append("</div>\n</body>\n</html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());
    }
}
