"""World-to-screen mapping with pan, zoom about a point, and following a target."""

import numpy as np

ZOOM_STEP = 1.2  # scale factor of one wheel notch


class Camera:
    """Maps world points (y up) to window pixels (y down): centre of view, pixels per unit."""

    def __init__(self, size, bounds):
        self.size = size
        self.bounds = bounds
        self.follow = True
        self.fit()

    def fit(self):
        """Show the whole level."""
        xmin, ymin, xmax, ymax = self.bounds
        w, h = self.size
        self.centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
        self.scale = 0.95 * min(w / max(xmax - xmin, 1e-9), h / max(ymax - ymin, 1e-9))
        self.min_scale = self.scale / 4
        self.max_scale = self.scale * 40

    def resize(self, size):
        ratio = min(size[0] / max(self.size[0], 1), size[1] / max(self.size[1], 1))
        self.size = size
        self.scale *= ratio
        self.min_scale *= ratio
        self.max_scale *= ratio

    def to_screen(self, points):
        points = np.asarray(points, dtype=np.float64)
        w, h = self.size
        x = (points[..., 0] - self.centre[0]) * self.scale + w / 2
        y = h / 2 - (points[..., 1] - self.centre[1]) * self.scale
        return np.stack([x, y], axis=-1)

    def to_world(self, pixels):
        pixels = np.asarray(pixels, dtype=np.float64)
        w, h = self.size
        x = (pixels[..., 0] - w / 2) / self.scale + self.centre[0]
        y = (h / 2 - pixels[..., 1]) / self.scale + self.centre[1]
        return np.stack([x, y], axis=-1)

    def pan(self, dx_pixels, dy_pixels):
        self.follow = False
        self.centre = self.centre + np.array([-dx_pixels, dy_pixels]) / self.scale

    def zoom(self, notches, about_pixel):
        """Zoom in (notches > 0) or out, keeping the world point under `about_pixel` in place."""
        anchor = self.to_world(np.array(about_pixel, dtype=np.float64))
        self.scale = float(np.clip(self.scale * ZOOM_STEP**notches, self.min_scale, self.max_scale))
        self.centre = anchor - (self.to_world(np.array(about_pixel, dtype=np.float64)) - self.centre)

    def track(self, target, frame_seconds):
        """Glide towards `target` (world point) while following."""
        if self.follow and target is not None and np.all(np.isfinite(target)):
            k = min(1.0, frame_seconds * 6.0)
            self.centre = self.centre + (np.asarray(target) - self.centre) * k
