import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // The runner and CLI share lib/ with the app; type errors are caught by `npm run typecheck`
  // in the test command rather than slowing every production build.
  typescript: { ignoreBuildErrors: true },
  // pdfkit reads its font metrics (.afm files) from its own folder at run time; bundled, that
  // path would point into .next. Loaded from node_modules instead (the audit PDF reports).
  serverExternalPackages: ["pdfkit"],
};

export default nextConfig;
