namespace Disco.Geo.Scenes.Materials;

/// <summary>The procedural patterns a surface can carry (see <see cref="TextureSampler"/> for what each draws).</summary>
internal enum TextureKind
{
    /// <summary>Flat colour with faint large blotches.</summary>
    Paint,

    /// <summary>Two-tone mottling at several scales.</summary>
    Plaster,

    /// <summary>Planks in rows with random end offsets, per-plank tone and grain.</summary>
    WoodPlanks,

    /// <summary>Square tiles with grout lines and per-tile tone.</summary>
    Tiles,

    /// <summary>Two-colour checkerboard.</summary>
    Checker,

    /// <summary>Vertical wallpaper stripes with pinstripes.</summary>
    Stripes,

    /// <summary>Running-bond brickwork with mortar.</summary>
    Bricks,

    /// <summary>Fine fibrous noise: carpet, upholstery.</summary>
    Fabric,

    /// <summary>A panelled door with frame and knob (patch coordinates).</summary>
    Door,

    /// <summary>A window: frame, mullions and a bright view of sky and ground (patch coordinates).</summary>
    Window,

    /// <summary>A framed abstract picture (face coordinates of a thin box).</summary>
    Painting,

    /// <summary>A glowing ceiling panel with a thin frame (patch coordinates).</summary>
    LightPanel,

    /// <summary>Uniformly glowing surface: lamp shades.</summary>
    Glow,
}
