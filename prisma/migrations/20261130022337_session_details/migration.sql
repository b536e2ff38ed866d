-- AlterTable
ALTER TABLE "user_sessions" ADD COLUMN     "client_address" TEXT,
ADD COLUMN     "user_agent" TEXT;
