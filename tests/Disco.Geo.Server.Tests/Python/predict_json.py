"""Predicts with the Python client package (clients/python) and prints what it got as one JSON object, for
PythonClientTests to compare with the C# client's result on the same server.

Usage: predict_json.py ADDRESS API_KEY MODEL DATASET ROWS_PER_TILE
"""
import json
import sys

import disco_geo


def main() -> None:
    address, api_key, model, dataset, rows_per_tile = sys.argv[1:6]
    with disco_geo.connect(address, api_key=api_key) as client:
        result = client.predict(model, dataset, rows_per_tile=int(rows_per_tile))
        print(json.dumps({
            "datasets": [d.name for d in client.list_datasets()],
            "id": result.id,
            "tiles": result.tiles,
            "shape": list(result.values.shape),
            "values": [float(v) for v in result.values.ravel()],
            "latitudes": [float(v) for v in result.latitudes],
            "longitudes": [float(v) for v in result.longitudes],
            "class_areas": [{"class_id": a.class_id, "class_name": a.class_name, "area_km2": a.area_km2, "fraction": a.fraction}
                            for a in result.summary.class_areas],
        }))


if __name__ == "__main__":
    main()
