# The platform image: the same `kappa` CLI as on a laptop, against services given by env.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false && npm cache clean --force
COPY . .
ENV NODE_ENV=production
# A 64 MB young generation for the job process (see bin/kappa.js).
ENV NODE_OPTIONS=--max-semi-space-size=64
EXPOSE 4000
CMD ["node", "bin/kappa.js", "run", "--api"]
