import { z } from "zod";
import { samplesCsvStream } from "@/lib/deployments/export-samples-csv";
import { loadDeploymentOrThrow, sampleIdSchema } from "@/lib/deployments/load-deployment";
import { ApiError } from "@/lib/http/errors";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

const detailQuerySchema = z
  .strictObject({
    format: z.enum(["json", "csv"]).default("json"),
    samplesAfter: sampleIdSchema.optional(),
  })
  .refine((query) => query.format === "json" || query.samplesAfter === undefined, {
    path: ["samplesAfter"],
    message: "the CSV export always has every sample",
  });

/**
 * One deployment with its steps, evaluations, weight history, raw samples and incident report;
 * ?samplesAfter=<lastSampleId> for only the samples since; ?format=csv for the raw samples as CSV.
 */
export const GET = route<{ id: string }>(
  async ({ req, db, params }) => {
    const query = detailQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams));
    if (query.format === "json") return json(await loadDeploymentOrThrow(db, { id: params.id, samplesAfter: query.samplesAfter }));

    const deployment = await db.deployment.findUnique({ where: { id: params.id }, select: { id: true } });
    if (!deployment) throw new ApiError("not_found", `No deployment ${params.id}`);
    return new Response(samplesCsvStream(db, deployment.id), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="deployment-${deployment.id}-samples.csv"`,
        "cache-control": "no-store",
      },
    });
  },
  { permission: "deployments:read" },
);
