# syntax=docker/dockerfile:1
# One image for the web app and the consumer (see docker-compose.cluster.yml): the same code, another command.
#   docker build -t message-board .
#   docker run -p 3000:3000 -e KAFKA_BROKERS=… -e REDIS_URL=… message-board
#   docker run -e KAFKA_BROKERS=… -e REDIS_URL=… message-board node --import tsx scripts/start-consumer.ts

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts

FROM dependencies AS build
ENV NEXT_TELEMETRY_DISABLED=1
COPY . .
RUN node_modules/.bin/next build

# Only what runs: production dependencies, the build, and the TypeScript sources tsx runs the entries from.
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
# kafkajs's negative timer delay, as in .npmrc: a warning of Node 24's about what always happened.
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY next.config.ts tsconfig.json ./
COPY public ./public
COPY src ./src
COPY scripts/start-consumer.ts scripts/start-processor.ts ./scripts/
COPY --from=build /app/.next ./.next
# The image's own unprivileged user: nothing in /app is writable by the process but Next's cache.
RUN mkdir -p .next/cache && chown -R node:node .next/cache
USER node
EXPOSE 3000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node itself, with tsx as a loader: the tsx command would relay stop signals to a child and kill it 60 ms
# later, so that `docker stop` skipped a busy app's drain. Run with an init (`init: true`) as PID 1.
CMD ["node", "--import", "tsx", "src/server/main.ts"]
