using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Tests.Gdal;

/// <summary>GDAL's names of NetCDF and HDF5 variables parse into the file (which the sandbox checks) and the variable.</summary>
public sealed class GdalSubdatasetTests
{
    [Theory]
    [InlineData("NETCDF:\"/data/a b.nc\":salinity", "NETCDF", "/data/a b.nc", "salinity")]
    [InlineData("netcdf:\"/data/f.nc\":/group/t", "NETCDF", "/data/f.nc", "group/t")]
    [InlineData("HDF5:\"/data/f.h5\"://surface/t2m", "HDF5", "/data/f.h5", "surface/t2m")]
    [InlineData("NETCDF:/data/f.nc:sst", "NETCDF", "/data/f.nc", "sst")]
    [InlineData("HDF5:/data/f.h5://t", "HDF5", "/data/f.h5", "t")]
    public void Subdataset_names_give_their_file_and_variable(string text, string prefix, string file, string variable)
    {
        Assert.True(GdalSubdataset.TryParse(text, out GdalSubdataset? parsed));
        Assert.Equal((prefix, file, variable), (parsed.Prefix, parsed.File, parsed.VariableName));
        Assert.True(parsed.Names("/" + variable));
        Assert.True(GdalSubdataset.TryParse(parsed.ConnectionString, out GdalSubdataset? again));
        Assert.Equal((file, variable), (again.File, again.VariableName));
    }

    [Theory]
    [InlineData("/data/f.nc")]
    [InlineData("/vsicurl/http://x/f.nc")]
    [InlineData("NETCDF:\"/data/f.nc\"")]
    [InlineData("NETCDF:\"/data/f.nc\":")]
    [InlineData("NETCDF:\"/data/f.nc\"://")]
    [InlineData("GTIFF_DIR:1:/data/f.tif")]
    [InlineData("NETCDF:\"/data/f.nc\":a\"b")]
    public void Other_strings_are_not_subdatasets(string text) => Assert.False(GdalSubdataset.TryParse(text, out _));
}
