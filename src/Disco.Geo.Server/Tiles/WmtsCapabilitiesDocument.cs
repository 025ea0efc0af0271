using System.Globalization;
using System.Text;
using System.Xml;
using Disco.Geo.Engine;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// The OGC WMTS 1.0.0 GetCapabilities document (RESTful encoding) of a finished prediction: one layer, offered in
/// WebMercatorQuad and WorldCRS84Quad, with one ResourceURL template per image format. QGIS's "Add WMTS layer", GDAL's
/// WMTS driver and OpenLayers read it from one URL.
/// </summary>
internal static class WmtsCapabilitiesDocument
{
    private const string Wmts = "http://www.opengis.net/wmts/1.0";
    private const string Ows = "http://www.opengis.net/ows/1.1";
    private const string XLink = "http://www.w3.org/1999/xlink";

    public static byte[] Write(string baseUrl, PredictionMap map, IReadOnlyList<string> formats)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var stream = new MemoryStream();
        using (XmlWriter xml = XmlWriter.Create(stream, settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("Capabilities", Wmts);
            xml.WriteAttributeString("xmlns", "ows", null, Ows);
            xml.WriteAttributeString("xmlns", "xlink", null, XLink);
            xml.WriteAttributeString("version", "1.0.0");

            xml.WriteStartElement("ServiceIdentification", Ows);
            xml.WriteElementString("Title", Ows, $"Disco.Geo prediction {map.PredictionId}");
            xml.WriteElementString("ServiceType", Ows, "OGC WMTS");
            xml.WriteElementString("ServiceTypeVersion", Ows, "1.0.0");
            xml.WriteEndElement();

            xml.WriteStartElement("Contents", Wmts);
            WriteLayer(xml, baseUrl, map, formats);
            foreach (string set in TileMatrixSets.All)
            {
                WriteTileMatrixSet(xml, set, TileMatrixSets.MaxZoomFor(set, map.Grid.NLon));
            }

            xml.WriteEndElement();
            xml.WriteStartElement("ServiceMetadataURL", Wmts);
            xml.WriteAttributeString("href", XLink, $"{baseUrl}/tiles/{map.PredictionId}/WMTSCapabilities.xml");
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return stream.ToArray();
    }

    private static void WriteLayer(XmlWriter xml, string baseUrl, PredictionMap map, IReadOnlyList<string> formats)
    {
        xml.WriteStartElement("Layer", Wmts);
        xml.WriteElementString("Title", Ows, map.Model.Name.Length > 0 ? $"{map.PredictionId} ({map.Model.Name})" : map.PredictionId);
        xml.WriteStartElement("WGS84BoundingBox", Ows);
        xml.WriteAttributeString("crs", "urn:ogc:def:crs:OGC:2:84");
        xml.WriteElementString("LowerCorner", Ows, "-180 -90");
        xml.WriteElementString("UpperCorner", Ows, "180 90");
        xml.WriteEndElement();
        xml.WriteElementString("Identifier", Ows, map.PredictionId);
        // The extent in each set's own CRS: without it clients project the WGS 84 box, whose poles lie at infinite
        // Web Mercator y (GDAL then makes a raster thousands of rows tall).
        foreach (string set in TileMatrixSets.All)
        {
            WriteBoundingBox(xml, set);
        }

        xml.WriteStartElement("Style", Wmts);
        xml.WriteAttributeString("isDefault", "true");
        xml.WriteElementString("Identifier", Ows, "default");
        xml.WriteEndElement();
        foreach (string format in formats)
        {
            xml.WriteElementString("Format", Wmts, TileFormats.MediaType(format));
        }

        foreach (string set in TileMatrixSets.All)
        {
            xml.WriteStartElement("TileMatrixSetLink", Wmts);
            xml.WriteElementString("TileMatrixSet", Wmts, set);
            xml.WriteEndElement();
        }

        foreach (string format in formats)
        {
            xml.WriteStartElement("ResourceURL", Wmts);
            xml.WriteAttributeString("format", TileFormats.MediaType(format));
            xml.WriteAttributeString("resourceType", "tile");
            xml.WriteAttributeString("template", $"{baseUrl}/tiles/{map.PredictionId}/{{TileMatrixSet}}/{{TileMatrix}}/{{TileCol}}/{{TileRow}}.{format}");
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    private static void WriteTileMatrixSet(XmlWriter xml, string set, int maxZoom)
    {
        xml.WriteStartElement("TileMatrixSet", Wmts);
        xml.WriteElementString("Identifier", Ows, set);
        WriteBoundingBox(xml, set);
        xml.WriteElementString("SupportedCRS", Ows, TileMatrixSets.CrsUrn(set));
        if (set == TileMatrixSets.WebMercatorQuad)
        {
            // Its scales are exactly those of the well-known GoogleMapsCompatible set; WorldCRS84Quad's two tiles at
            // level 0 match no well-known scale set (GoogleCRS84Quad has one), so it names none.
            xml.WriteElementString("WellKnownScaleSet", Wmts, "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible");
        }

        (double left, double top) = TileMatrixSets.TopLeftCorner(set);
        for (int z = 0; z <= maxZoom; z++)
        {
            (long columns, long rows) = TileMatrixSets.MatrixSize(set, z);
            xml.WriteStartElement("TileMatrix", Wmts);
            xml.WriteElementString("Identifier", Ows, z.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("ScaleDenominator", Wmts, Number(TileMatrixSets.ScaleDenominator(set, z)));
            xml.WriteElementString("TopLeftCorner", Wmts, Pair(left, top));
            xml.WriteElementString("TileWidth", Wmts, TileMatrixSets.TileSize.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("TileHeight", Wmts, TileMatrixSets.TileSize.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("MatrixWidth", Wmts, columns.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("MatrixHeight", Wmts, rows.ToString(CultureInfo.InvariantCulture));
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    private static void WriteBoundingBox(XmlWriter xml, string set)
    {
        (double minX, double minY, double maxX, double maxY) = TileMatrixSets.Extent(set);
        xml.WriteStartElement("BoundingBox", Ows);
        xml.WriteAttributeString("crs", TileMatrixSets.CrsUrn(set));
        xml.WriteElementString("LowerCorner", Ows, Pair(minX, minY));
        xml.WriteElementString("UpperCorner", Ows, Pair(maxX, maxY));
        xml.WriteEndElement();
    }

    private static string Pair(double x, double y) => $"{Number(x)} {Number(y)}";

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
